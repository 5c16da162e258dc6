using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostGrains.Client;
using CostGrains.Ledger;
using CostGrains.Postgres.Hosting;
using CostGrains.Postgres.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CostGrains.IntegrationTests;

/// <summary>A node as operators run it: embedded default, PostgreSQL mode, a two-node cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class NodeTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Embedded_default_runs_the_same_pipeline_without_any_configuration()
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        await server.CreateOrgAsync("acme");
        var response = await server.Http.PostAsJsonAsync("v1/events?org=acme", new[]
        {
            new { id = "e1", time = "2026-05-01T00:00:00Z", project = "web", amount = 2.5, category = "compute" },
            new { id = "e1", time = "2026-05-01T00:00:00Z", project = "web", amount = 2.5, category = "compute" },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicates").GetInt32());
        var project = await Poll.Until(() => server.GetJsonAsync("v1/projects/web?org=acme"),
            p => p.GetProperty("eventCount").GetInt64() == 1, TimeSpan.FromSeconds(10), "embedded project");
        Assert.Equal(2.5m, project.GetProperty("spent").GetProperty("compute").GetDecimal());
    }

    [Fact]
    public async Task Health_and_openapi_describe_the_node()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("health"));
        using var anonymous = server.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("health/ready")).StatusCode);
        var openapi = await anonymous.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var paths = openapi.GetProperty("paths");
        foreach (var path in new[] { "/v1/events", "/v1/orgs", "/v1/orgs/{org}/keys", "/v1/skus/{code}", "/v1/projects", "/v1/projects/{key}", "/v1/reconciliation",
            "/v1/projects/{key}/usage", "/v1/projects/{key}/credits", "/v1/projects/{key}/runaway", "/v1/report", "/v1/billing-accounts/{key}",
            "/v1/billing-accounts/{key}/report", "/v1/billing-accounts/{key}/invoices", "/v1/billing-accounts/{key}/invoices/{number}/pdf" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
        }

        Assert.True(paths.GetProperty("/v1/billing-accounts/{key}/report").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").TryGetProperty("text/csv", out _), "the report documents its CSV form");
        var body = paths.GetProperty("/v1/events").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(body.TryGetProperty("application/x-ndjson", out _));
    }

    [Fact]
    public async Task Migrations_are_versioned_idempotent_and_keep_money_numeric()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("migrate");
        await using var db = PostgresSiloExtensions.CreateDataSource(connectionString);
        Assert.Equal(PostgresMigrator.Scripts.Count, await PostgresMigrator.MigrateAsync(db, NullLogger.Instance));
        Assert.Equal(0, await PostgresMigrator.MigrateAsync(db, NullLogger.Instance));
        await using var command = db.CreateCommand("SELECT string_agg(version::text, ',' ORDER BY version) FROM cg_schema_migration");
        Assert.Equal(string.Join(',', PostgresMigrator.Scripts.Select(s => s.Version)), (string?)await command.ExecuteScalarAsync());
        // Money is numeric, never a binary float: amounts, prices and quantities keep every decimal.
        await using var types = db.CreateCommand("""
            SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY column_name) FROM information_schema.columns
             WHERE table_name = 'cg_event' AND column_name IN ('amount', 'price', 'quantity')
            """);
        Assert.Equal("amount:numeric,price:numeric,quantity:numeric", (string?)await types.ExecuteScalarAsync());
        await using var floats = db.CreateCommand("""
            SELECT count(*) FROM information_schema.columns
             WHERE table_name LIKE 'cg_%' AND data_type IN ('real', 'double precision', 'money')
            """);
        Assert.Equal(0L, (long)(await floats.ExecuteScalarAsync())!);

        await using var queries = db.CreateCommand("SELECT count(*) FROM OrleansQuery");
        Assert.True((long)(await queries.ExecuteScalarAsync())! >= 20, "the Orleans ADO.NET queries are installed");
    }

    [Fact]
    public async Task A_ledger_from_before_target_numbers_is_numbered_by_the_upgrade_and_keeps_appending_and_replaying()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("upgrade");
        await using var db = PostgresSiloExtensions.CreateDataSource(connectionString);
        // A database as the scripts before 004 left it, with usage in it.
        await using (var old = db.CreateCommand("CREATE TABLE cg_schema_migration (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"))
        {
            await old.ExecuteNonQueryAsync();
        }

        foreach (var (version, name, sql) in PostgresMigrator.Scripts.Where(s => s.Version < 4))
        {
            await using var script = db.CreateCommand($"{sql};\nINSERT INTO cg_schema_migration (version, name) VALUES ({version}, '{name}')");
            await script.ExecuteNonQueryAsync();
        }

        var web = new TargetRef(TargetKind.Project, "acme", "web");
        var db2 = new TargetRef(TargetKind.Project, "acme", "db");
        await using (var usage = db.CreateCommand("""
            INSERT INTO cg_partition (partition, last_seq) SELECT p, CASE WHEN p = 0 THEN 3 ELSE 0 END FROM generate_series(0, 15) p;
            INSERT INTO cg_setting (key, value) VALUES ('partitions', '16');
            INSERT INTO cg_target (org, kind, key, unit) VALUES ('acme', 0, 'web', 'USD'), ('acme', 0, 'db', 'USD');
            INSERT INTO cg_event (org, id, partition, seq, kind, target, time, amount, unit, category) VALUES
              ('acme', 'e1', 0, 1, 0, 'web', '2026-05-01T00:00:00Z', 1.25, 'USD', 'compute'),
              ('acme', 'e2', 0, 2, 0, 'db',  '2026-05-01T00:00:01Z', 7.00, 'USD', 'storage'),
              ('acme', 'e3', 0, 3, 0, 'web', '2026-05-01T00:00:02Z', 2.50, 'USD', 'compute');
            """))
        {
            await usage.ExecuteNonQueryAsync();
        }

        Assert.Equal(1, await PostgresMigrator.MigrateAsync(db, NullLogger.Instance));
        await using (var numbered = db.CreateCommand("SELECT count(*) FROM cg_event e JOIN cg_target t ON t.id = e.target_id AND t.org = e.org AND t.kind = e.kind AND t.key = e.target"))
        {
            Assert.Equal(3L, (long)(await numbered.ExecuteScalarAsync())!);
        }

        // The writer learns the numbers of targets it has not seen, and replays find old and new rows.
        await using var ledger = new CostGrains.Postgres.Ledger.PostgresLedger(db, new() { Partitions = 16 }, NullLogger<CostGrains.Postgres.Ledger.PostgresLedger>.Instance);
        var appended = await ledger.AppendAsync(
            [new LedgerEvent("acme", "e4", TargetKind.Project, "web", 0, DateTimeOffset.Parse("2026-05-01T00:00:03Z"), null, null, null, null, 0.25m, "USD", "compute", null, null)],
            CancellationToken.None);
        Assert.Equal([true], appended.Inserted);
        var replayed = await ledger.ReadTargetAsync(web, 0, 100, CancellationToken.None);
        Assert.Equal(["e1", "e3", "e4"], replayed.Select(r => r.Id));
        Assert.Equal([1L, 3L, 4L], replayed.Select(r => r.Seq));
        Assert.Equal(["e2"], (await ledger.ReadTargetAsync(db2, 0, 100, CancellationToken.None)).Select(r => r.Id));
        Assert.Equal(["e4"], (await ledger.ReadTargetAsync(web, 3, 100, CancellationToken.None)).Select(r => r.Id));
    }

    [Fact]
    public async Task Two_nodes_on_one_database_form_one_cluster_and_either_serves_the_other_s_events()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("cluster");
        var clusterId = $"pair-{Guid.NewGuid():N}";
        await using var a = await ServerProcess.StartNodeAsync(connectionString, clusterId);
        await using var b = await ServerProcess.StartNodeAsync(connectionString, clusterId);
        var key = await a.CreateOrgAsync("acme", "admin");

        // Ingest on both nodes; read every project through the other node.
        using var onA = a.Client(key);
        using var onB = b.Client(key);
        for (var i = 0; i < 10; i++)
        {
            var via = i % 2 == 0 ? onA : onB;
            var response = await via.PostAsJsonAsync("v1/events", Enumerable.Range(0, 50)
                .Select(j => new { id = $"c{i}-{j}", time = "2026-05-01T00:00:00Z", project = $"p{j % 5}", amount = 0.5 }).ToArray());
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await b.WaitConsistentAsync("acme", TimeSpan.FromSeconds(30));
        var fromA = await Poll.Until(() => onA.GetFromJsonAsync<JsonElement>("v1/projects"),
            p => p.GetArrayLength() == 5, TimeSpan.FromSeconds(10), "five projects via node A");
        Assert.Equal(250m, fromA.EnumerateArray().Sum(p => p.GetProperty("spent").GetProperty("total").GetDecimal()));
        var fromB = await onB.GetFromJsonAsync<JsonElement>("v1/projects/p3");
        Assert.Equal(50m, fromB.GetProperty("spent").GetProperty("total").GetDecimal());

        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var members = new NpgsqlCommand("SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = $1 AND Status = 3", db);
        members.Parameters.AddWithValue(clusterId);
        Assert.Equal(2L, (long)(await members.ExecuteScalarAsync())!);

        // Each node's writer learned the numbers of projects the other node created: every row
        // carries the number of its own project, so a grain's replay finds all of its rows.
        await using var numbered = new NpgsqlCommand("""
            SELECT count(*) FROM cg_event e
              JOIN cg_target t ON t.id = e.target_id AND t.org = e.org AND t.kind = e.kind AND t.key = e.target
            """, db);
        Assert.Equal(500L, (long)(await numbered.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Client_buffer_batches_events_and_flushes_everything_on_dispose()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("sdk"));
        var key = await server.CreateOrgAsync("acme", "ingest");
        var client = new CostGrainsClient(new CostGrainsClientOptions
        {
            BaseAddress = server.BaseAddress,
            ApiKey = key,
            MaxBatchSize = 100,
            FlushInterval = TimeSpan.FromMilliseconds(50),
            MaxBufferedEvents = 250,
        });
        for (var i = 0; i < 1_234; i++)
        {
            await client.EnqueueAsync(new UsageEvent { Time = DateTimeOffset.UtcNow, Project = $"sdk{i % 3}", Amount = 0.01m });
        }

        await client.DisposeAsync();
        Assert.Equal(1_234, client.Accepted);
        Assert.Equal(0, client.Rejected);
        var reconciliation = await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(20));
        Assert.Equal(12.34m, reconciliation.GetProperty("ledgerTotal").GetDecimal());
    }
}
