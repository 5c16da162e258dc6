using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostGrains.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace CostGrains.IntegrationTests;

/// <summary>The pipeline on PostgreSQL: HTTP → ledger → stream → grain, read back over HTTP.</summary>
[Collection(PostgresCollection.Name)]
public sealed class IngestPipelineTests(PostgresFixture postgres) : IAsyncLifetime
{
    private InProcessServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("pipeline"));
        await _server.CreateOrgAsync("acme");
        await _server.PutSkuAsync("acme", "vm.small", "USD", "compute", ("2026-01-01T00:00:00Z", 0.10m), ("2026-06-01T00:00:00Z", 0.20m));
        await _server.PutSkuAsync("acme", "disk.gb", "USD", "storage", ("2026-01-01T00:00:00Z", 0.0003m));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Post(object events) => _server.Http.PostAsJsonAsync("v1/events?org=acme", events);

    [Fact]
    public async Task Acked_events_are_rated_stored_and_visible_in_project_spend()
    {
        var response = await Post(new object[]
        {
            new { id = "a1", time = "2026-03-01T10:00:00Z", project = "web", sku = "vm.small", quantity = 10 },
            new { id = "a2", time = "2026-03-01T10:00:00+02:00", project = "web", sku = "disk.gb", quantity = 1000 },
            new { id = "a3", time = "2026-03-02T00:00:00Z", project = "web", amount = 1.25, category = "ai" },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ack = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, ack.GetProperty("accepted").GetInt32());
        Assert.Equal(0, ack.GetProperty("duplicates").GetInt32());

        var project = await Poll.Until(() => _server.GetJsonAsync("v1/projects/web?org=acme"),
            p => p.GetProperty("spent").GetProperty("total").GetDecimal() == 2.55m, TimeSpan.FromSeconds(10), "project web to see 3 events");
        Assert.Equal(1.00m, project.GetProperty("spent").GetProperty("compute").GetDecimal());
        Assert.Equal(0.30m, project.GetProperty("spent").GetProperty("storage").GetDecimal());
        Assert.Equal(3, project.GetProperty("eventCount").GetInt64());

        var list = await _server.GetJsonAsync("v1/projects?org=acme");
        var row = Assert.Single(list.EnumerateArray());
        Assert.Equal("web", row.GetProperty("key").GetString());
        Assert.Equal(0m, row.GetProperty("burn").GetProperty("perHour").GetDecimal());
    }

    [Fact]
    public async Task Same_batch_sent_1000_times_concurrently_is_counted_once()
    {
        var batch = Enumerable.Range(0, 20)
            .Select(i => new { id = $"storm-{i}", time = "2026-04-01T00:00:00Z", project = $"storm{i % 4}", sku = "vm.small", quantity = 1 + i })
            .ToArray();
        var body = JsonSerializer.Serialize(batch);
        using var gate = new SemaphoreSlim(64);
        var acks = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var response = await _server.Http.PostAsync("v1/events?org=acme", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                return await response.Content.ReadFromJsonAsync<JsonElement>();
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.Equal(20, acks.Sum(a => a.GetProperty("accepted").GetInt32()));
        Assert.Equal(1000 * 20 - 20, acks.Sum(a => a.GetProperty("duplicates").GetInt32()));

        var expected = batch.Sum(e => e.quantity) * 0.10m;
        await _server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(20));
        var totals = await Task.WhenAll(Enumerable.Range(0, 4).Select(p => _server.GetJsonAsync($"v1/projects/storm{p}?org=acme")));
        Assert.Equal(expected, totals.Sum(t => t.GetProperty("spent").GetProperty("total").GetDecimal()));
        Assert.Equal(20, totals.Sum(t => t.GetProperty("eventCount").GetInt64()));
    }

    [Fact]
    public async Task Price_change_mid_stream_rates_later_events_only_and_never_rewrites_history()
    {
        await _server.PutSkuAsync("acme", "gpu.hour", "USD", "compute", ("2026-01-01T00:00:00Z", 2.00m));
        Assert.Equal(HttpStatusCode.Accepted, (await Post(new[] { new { id = "p1", time = "2026-08-01T00:00:00Z", project = "ml", sku = "gpu.hour", quantity = 3 } })).StatusCode);

        // A new rate from August 15 on: events after it cost more, the stored one keeps its price.
        await _server.PutSkuAsync("acme", "gpu.hour", "USD", "compute", ("2026-01-01T00:00:00Z", 2.00m), ("2026-08-15T00:00:00Z", 3.00m));
        Assert.Equal(HttpStatusCode.Accepted, (await Post(new[]
        {
            new { id = "p2", time = "2026-08-20T00:00:00Z", project = "ml", sku = "gpu.hour", quantity = 1 },
            new { id = "p3", time = "2026-08-10T00:00:00Z", project = "ml", sku = "gpu.hour", quantity = 1 },
        })).StatusCode);

        var project = await Poll.Until(() => _server.GetJsonAsync("v1/projects/ml?org=acme"),
            p => p.GetProperty("eventCount").GetInt64() == 3, TimeSpan.FromSeconds(10), "3 events on ml");
        Assert.Equal(6m + 3m + 2m, project.GetProperty("spent").GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task Out_of_order_event_times_are_all_counted()
    {
        var times = new[] { "2026-05-03T00:00:00Z", "2026-05-01T00:00:00Z", "2026-05-02T12:00:00-05:00", "2026-04-30T23:59:59Z" };
        for (var i = 0; i < times.Length; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await Post(new[] { new { id = $"ooo{i}", time = times[i], project = "ooo", amount = 1 + i } })).StatusCode);
        }

        var project = await Poll.Until(() => _server.GetJsonAsync("v1/projects/ooo?org=acme"),
            p => p.GetProperty("eventCount").GetInt64() == 4, TimeSpan.FromSeconds(10), "4 events on ooo");
        Assert.Equal(10m, project.GetProperty("spent").GetProperty("total").GetDecimal());
        Assert.Equal(DateTimeOffset.Parse("2026-04-30T23:59:59Z"), project.GetProperty("firstEventAt").GetDateTimeOffset());
        Assert.Equal(DateTimeOffset.Parse("2026-05-03T00:00:00Z"), project.GetProperty("lastEventAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Grain_deactivated_between_batches_resumes_from_its_checkpoint_without_double_counting()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await Post(new[] { new { id = "d1", time = "2026-05-01T00:00:00Z", project = "deact", amount = 5 } })).StatusCode);
        await Poll.Until(() => _server.GetJsonAsync("v1/projects/deact?org=acme"),
            p => p.GetProperty("eventCount").GetInt64() == 1, TimeSpan.FromSeconds(10), "first event");

        var grains = _server.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);
        var before = await management.GetTotalActivationCount();
        await management.ForceActivationCollection(TimeSpan.Zero);
        await Poll.Until(() => management.GetTotalActivationCount(), n => n < before, TimeSpan.FromSeconds(10), "activations to be collected");

        // Redelivered rows (the receiver restarts from its checkpoint) and new rows both arrive.
        Assert.Equal(HttpStatusCode.Accepted, (await Post(new[] { new { id = "d2", time = "2026-05-02T00:00:00Z", project = "deact", amount = 7 } })).StatusCode);
        var project = await Poll.Until(() => _server.GetJsonAsync("v1/projects/deact?org=acme"),
            p => p.GetProperty("eventCount").GetInt64() >= 2, TimeSpan.FromSeconds(10), "second event");
        Assert.Equal(12m, project.GetProperty("spent").GetProperty("total").GetDecimal());
        Assert.Equal(2, project.GetProperty("eventCount").GetInt64());
        await _server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Ndjson_batches_are_accepted_like_arrays()
    {
        var body = "{\"id\":\"n1\",\"time\":\"2026-05-01T00:00:00Z\",\"workspace\":\"lab\",\"amount\":2}\n\n" +
                   "{\"id\":\"n2\",\"time\":\"2026-05-01T01:00:00Z\",\"allocation\":\"hpc\",\"amount\":3}\n";
        var response = await _server.Http.PostAsync("v1/events?org=acme", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Poll.Until(() => _server.GetJsonAsync("v1/workspaces/lab?org=acme"),
            w => w.GetProperty("spent").GetProperty("total").GetDecimal() == 2m, TimeSpan.FromSeconds(10), "workspace lab");
        await Poll.Until(() => _server.GetJsonAsync("v1/allocations/hpc?org=acme"),
            a => a.GetProperty("spent").GetProperty("total").GetDecimal() == 3m, TimeSpan.FromSeconds(10), "allocation hpc");
    }

    [Fact]
    public async Task Ledger_keeps_per_partition_sequence_dense_in_commit_order()
    {
        var ledger = _server.Services.GetRequiredService<ILedger>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(b => Post(Enumerable.Range(0, 200)
            .Select(i => new { id = $"seq-{b}-{i}", time = "2026-05-01T00:00:00Z", project = $"seq{i % 37}", amount = 1 }).ToArray())));
        for (var p = 0; p < ledger.Partitions; p++)
        {
            var rows = await ledger.ReadPartitionAsync(p, 0, 100_000, CancellationToken.None);
            Assert.Equal(rows.Select(r => r.Record.Seq).Order(), rows.Select(r => r.Record.Seq));
            Assert.Equal(rows.Count, rows.Select(r => r.Record.Seq).Distinct().Count());
        }
    }

    [Fact]
    public async Task Rows_this_node_committed_reach_the_grains_from_memory_exactly_as_stored()
    {
        var ledger = (CostGrains.Postgres.Ledger.PostgresLedger)_server.Services.GetRequiredService<ILedger>();
        var servedBefore = ledger.Tail.Served;
        // Five batches one after another: a reader already busy when one commits may fetch it from the
        // database (that is correct too); the others reach it from memory.
        JsonElement project = default;
        for (var b = 0; b < 5; b++)
        {
            await Post(Enumerable.Range(0, 10)
                .Select(i => new { id = $"tail-{b}-{i}", time = "2026-05-01T00:00:00.1234567Z", project = "tail", amount = 0.333333m, category = "compute" }).ToArray());
            project = await Poll.Until(() => _server.GetJsonAsync("v1/projects/tail?org=acme"),
                p => p.GetProperty("eventCount").GetInt64() == 10 * (b + 1), TimeSpan.FromSeconds(10), "project tail");
        }

        Assert.True(ledger.Tail.Served > servedBefore, "the stream read this node's own commits from memory");
        // Stored with PostgreSQL's precision (whole microseconds) on both ways to the grain.
        var stored = await ledger.ReadTargetAsync(new TargetRef(TargetKind.Project, "acme", "tail"), 0, 100, CancellationToken.None);
        Assert.All(stored, r => Assert.Equal(DateTimeOffset.Parse("2026-05-01T00:00:00.123456Z"), r.Time));
        Assert.Equal(DateTimeOffset.Parse("2026-05-01T00:00:00.123456Z"), project.GetProperty("firstEventAt").GetDateTimeOffset());
        Assert.Equal(stored.Sum(r => r.Amount), project.GetProperty("spent").GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task A_retry_mixed_with_new_events_stores_only_the_new_ones_and_later_batches_are_copied_again()
    {
        var ledger = (CostGrains.Postgres.Ledger.PostgresLedger)_server.Services.GetRequiredService<ILedger>();
        object[] Batch(string prefix, int count, string project = "mix") => Enumerable.Range(0, count)
            .Select(i => (object)new { id = $"{prefix}-{i}", time = "2026-05-02T00:00:00Z", project = $"{project}{i % 3}", amount = 0.5m }).ToArray();

        var first = await (await Post(Batch("first", 10))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(10, first.GetProperty("accepted").GetInt32());
        var copied = ledger.CopiedTransactions;

        // The retry repeats the ten stored events next to ten new ones: the copy meets a stored id,
        // rolls back, and the deduplicating statement (one per ledger writer holding a share of the
        // batch) stores exactly the new ten.
        var deduplicatingBefore = ledger.DeduplicatingTransactions;
        // The new events go to projects never seen before: that statement creates them too.
        var mixed = await (await Post(Batch("first", 10).Concat(Batch("second", 10, project: "fresh")).ToArray())).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(10, mixed.GetProperty("accepted").GetInt32());
        Assert.Equal(10, mixed.GetProperty("duplicates").GetInt32());
        Assert.Equal(copied, ledger.CopiedTransactions);
        Assert.True(ledger.DeduplicatingTransactions > deduplicatingBefore, "the retry went through the deduplicating statement");
        var projects = (await _server.GetJsonAsync("v1/projects?org=acme")).EnumerateArray().Select(p => p.GetProperty("key").GetString()!).Order().ToArray();
        Assert.Equal(new[] { "fresh0", "fresh1", "fresh2", "mix0", "mix1", "mix2" }, projects);

        // After a short while of deduplicating, new batches take the copy again.
        var later = 0;
        for (; ledger.CopiedTransactions == copied; later++)
        {
            Assert.True(later < 40, "the copy path came back");
            var ack = await (await Post(Batch($"later{later}", 3))).Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(3, ack.GetProperty("accepted").GetInt32());
        }

        var sums = await ledger.SumByTargetAsync("acme", CancellationToken.None);
        Assert.Equal(20 + (3 * later), sums.Sum(s => s.EventCount));
        await Poll.Until(() => _server.GetJsonAsync("v1/reconciliation?org=acme"),
            r => r.GetProperty("consistent").GetBoolean(), TimeSpan.FromSeconds(10), "every project equal to its ledger sum");
    }
}
