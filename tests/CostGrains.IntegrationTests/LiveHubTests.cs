using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace CostGrains.IntegrationTests;

/// <summary>The live hub: key auth, subscriptions, and burn updates across a two-node cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class LiveHubTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Hub_refuses_missing_unknown_and_write_only_keys_and_other_organizations()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("hubauth"));
        var member = await server.CreateOrgAsync("acme", "member");
        var ingest = await server.CreateKeyAsync("acme", "ingest");
        await server.CreateOrgAsync("other", "admin");

        foreach (var (key, status) in new[] { ((string?)null, HttpStatusCode.Unauthorized), ("cg_unknown", HttpStatusCode.Unauthorized), (ingest, HttpStatusCode.Forbidden) })
        {
            await using var refused = server.ConnectHub(key);
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync());
            Assert.Equal(status, error.StatusCode);
        }

        await using var wrongOrg = server.ConnectHub(member, org: "other");
        await wrongOrg.StartAsync();
        await Assert.ThrowsAsync<HubException>(() => wrongOrg.InvokeAsync("Subscribe", "project", "web"));

        await using var ok = server.ConnectHub(member);
        await ok.StartAsync();
        await ok.InvokeAsync("Subscribe", "project", "web");
        await Assert.ThrowsAsync<HubException>(() => ok.InvokeAsync("Subscribe", "budget", "web"));
        await ok.InvokeAsync("Unsubscribe", "project", "web");
    }

    [Fact]
    public async Task Client_on_one_node_sees_burn_for_usage_ingested_on_the_other_coalesced()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("hubcluster");
        var clusterId = $"live-{Guid.NewGuid():N}";
        await using var a = await ServerProcess.StartNodeAsync(connectionString, clusterId);
        await using var b = await ServerProcess.StartNodeAsync(connectionString, clusterId);
        var admin = await a.CreateOrgAsync("acme", "admin");

        var received = new ConcurrentQueue<BurnMessage>();
        await using var hub = a.ConnectHub(admin);
        hub.On<BurnMessage>("burn", received.Enqueue);
        await hub.StartAsync();
        await hub.InvokeAsync("Subscribe", "project", "live");

        using var ingest = b.Client(admin);
        const int batches = 20;
        for (var i = 0; i < batches; i++)
        {
            var response = await ingest.PostAsJsonAsync("v1/events", new[]
            {
                new { id = $"l{i}", time = "2026-05-01T00:00:00Z", project = "live", amount = 1.5m },
                new { id = $"o{i}", time = "2026-05-01T00:00:00Z", project = "unwatched", amount = 9m },
            });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var last = await Poll.Until(() => Task.FromResult(received.LastOrDefault()),
            m => m?.Total == batches * 1.5m, TimeSpan.FromSeconds(30), "the final burn update on node A");
        Assert.Equal("project", last!.Kind);
        Assert.Equal("live", last.Key);
        Assert.All(received, m => Assert.Equal("live", m.Key)); // only what was subscribed
        Assert.True(received.Count < batches, $"updates are coalesced: {received.Count} messages for {batches} batches");
        Assert.Equal(received.OrderBy(m => m.Total).Select(m => m.Total), received.Select(m => m.Total)); // never goes back
    }
}
