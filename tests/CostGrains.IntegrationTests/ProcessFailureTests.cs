using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostGrains.Client;

namespace CostGrains.IntegrationTests;

/// <summary>The whole node killed, and PostgreSQL restarted, while agents are sending.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ProcessFailureTests(PostgresFixture postgres)
{
    private const int Batches = 40;
    private const int BatchSize = 250;

    [Fact]
    public async Task Server_killed_with_SIGKILL_mid_ingest_and_restarted_loses_nothing_after_agent_retries()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("sigkill");
        var (http, silo, gateway) = (PostgresServer.FreePort(), PostgresServer.FreePort(), PostgresServer.FreePort());
        var clusterId = $"kill-{Guid.NewGuid():N}";
        var server = await ServerProcess.StartAsync(connectionString, http, silo, gateway, clusterId);
        try
        {
            var key = await server.CreateOrgAsync("acme", "ingest");
            await using var agent = Agent(server, key);

            var (batches, expected) = Workload("k");
            var sending = SendAll(agent, batches);
            await Poll.Until(() => Task.FromResult(agent.Accepted), n => n >= 5 * BatchSize, TimeSpan.FromSeconds(30), "some batches acked");
            server.Kill();
            Assert.False(sending.IsCompleted, "the agent should still have unacknowledged batches when the node dies");

            await server.DisposeAsync();
            server = await ServerProcess.StartAsync(connectionString, http, silo, gateway, clusterId);
            await sending;

            // A batch committed just before the kill, whose answer never arrived, comes back as
            // duplicates on retry: every event is acknowledged once, and stored once.
            Assert.Equal(Batches * BatchSize, agent.Accepted + agent.Duplicates);
            Assert.True(agent.Duplicates <= 4 * BatchSize, $"at most the batches in flight are re-sent, not {agent.Duplicates} events");
            Assert.True(agent.Retries > 0, "the agent should have retried across the restart");
            await AssertLedgerAndGrains(server, expected);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task PostgreSQL_restarted_during_ingest_answers_503_and_loses_nothing_acked()
    {
        // This test stops its database server, so it gets one of its own.
        await using var pg = await PostgresServer.StartAsync(forceThrowaway: true);
        await using var server = await InProcessServer.StartAsync(await pg.CreateDatabaseAsync("pgrestart"));
        var key = await server.CreateOrgAsync("acme", "ingest");
        await using var agent = Agent(server, key);

        var (batches, expected) = Workload("r");
        var sending = SendAll(agent, batches);
        await Poll.Until(() => Task.FromResult(agent.Accepted), n => n >= 5 * BatchSize, TimeSpan.FromSeconds(30), "some batches acked");
        await pg.StopInstanceAsync();

        using var raw = server.Client(key);
        var down = await raw.PostAsJsonAsync("v1/events", new[] { new { id = "while-down", time = "2026-05-01T00:00:00Z", project = "x", amount = 1 } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("application/problem+json", down.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(down.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await raw.GetAsync("health/ready")).StatusCode);

        await pg.StartInstanceAsync();
        await sending;

        Assert.Equal(Batches * BatchSize, agent.Accepted + agent.Duplicates);
        await AssertLedgerAndGrains(server, expected);
        var projects = await server.GetJsonAsync("v1/projects?org=acme");
        Assert.DoesNotContain(projects.EnumerateArray(), p => p.GetProperty("key").GetString() == "x");
    }

    /// <summary>An agent that retries quickly, so outages in these tests cost seconds, not minutes.</summary>
    private static CostGrainsClient Agent(TestServerBase server, string key) => new(new CostGrainsClientOptions
    {
        BaseAddress = server.BaseAddress,
        ApiKey = key,
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(1),
        RequestTimeout = TimeSpan.FromSeconds(10),
    });

    private static (List<UsageEvent[]> Batches, Dictionary<string, decimal> Expected) Workload(string prefix)
    {
        var expected = new Dictionary<string, decimal>();
        var batches = Enumerable.Range(0, Batches).Select(b => Enumerable.Range(0, BatchSize).Select(i =>
        {
            var project = $"{prefix}{(b * 31 + i) % 23}";
            var amount = 0.001m * (1 + ((b + i) % 11));
            expected[project] = expected.GetValueOrDefault(project) + amount;
            return new UsageEvent { Id = $"{prefix}-{b}-{i}", Time = DateTimeOffset.UtcNow, Project = project, Amount = amount, Category = "compute" };
        }).ToArray()).ToList();
        return (batches, expected);
    }

    private static async Task SendAll(CostGrainsClient agent, List<UsageEvent[]> batches)
    {
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(batches.Select(async batch =>
        {
            await gate.WaitAsync();
            try
            {
                await agent.SendAsync(batch);
                await Task.Delay(20);
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private static async Task AssertLedgerAndGrains(TestServerBase server, Dictionary<string, decimal> expected)
    {
        var reconciliation = await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(60));
        Assert.Equal(expected.Count, reconciliation.GetProperty("aggregates").GetInt32());
        Assert.Equal(expected.Values.Sum(), reconciliation.GetProperty("ledgerTotal").GetDecimal());
        Assert.Equal(Batches * BatchSize, reconciliation.GetProperty("ledgerEvents").GetInt64());
        foreach (var (project, total) in expected)
        {
            var read = await server.GetJsonAsync($"v1/projects/{project}?org=acme");
            Assert.Equal(total, read.GetProperty("spent").GetProperty("total").GetDecimal());
        }
    }
}
