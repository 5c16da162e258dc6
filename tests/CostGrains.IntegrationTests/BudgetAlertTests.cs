using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace CostGrains.IntegrationTests;

/// <summary>Budget thresholds: announced once per threshold per period, also across restarts.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BudgetAlertTests(PostgresFixture postgres)
{
    private static async Task<HubConnection> Watch(TestServerBase server, string key, ConcurrentQueue<CrossingMessage> crossings, ConcurrentQueue<BurnMessage> burns)
    {
        var hub = server.ConnectHub(key);
        hub.On<CrossingMessage>("budgetCrossed", crossings.Enqueue);
        hub.On<BurnMessage>("burn", burns.Enqueue);
        await hub.StartAsync();
        await hub.InvokeAsync("Subscribe", "project", "b");
        return hub;
    }

    private static async Task Spend(HttpClient client, string id, decimal amount) =>
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("v1/events",
            new[] { new { id, time = DateTimeOffset.UtcNow, project = "b", amount } })).StatusCode);

    [Fact]
    public async Task Each_threshold_is_announced_once_and_a_restart_with_replay_repeats_none()
    {
        var database = await postgres.Server.CreateDatabaseAsync("budget");
        var server = await InProcessServer.StartAsync(database);
        string admin;
        try
        {
            admin = await server.CreateOrgAsync("acme", "admin");
            var member = await server.CreateKeyAsync("acme", "member");
            using var client = server.Client(admin);
            var crossings = new ConcurrentQueue<CrossingMessage>();
            await using var hub = await Watch(server, member, crossings, new ConcurrentQueue<BurnMessage>());

            var put = await client.PutAsJsonAsync("v1/projects/b/budget", new { limit = 10m });
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var budget = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("monthly", budget.GetProperty("period").GetString());
            Assert.Equal("green", budget.GetProperty("state").GetString());

            await Spend(client, "s1", 6m);   // 60 %: crosses 50
            await Spend(client, "s2", 3m);   // 90 %: crosses 80
            await Spend(client, "s3", 2m);   // 110 %: crosses 100
            await Spend(client, "s4", 1m);   // 120 %: nothing new

            await Poll.Until(() => Task.FromResult(crossings.Count), n => n >= 3, TimeSpan.FromSeconds(20), "three crossings");
            var project = await Poll.Until(() => server.GetJsonAsync("v1/projects/b?org=acme"),
                p => p.GetProperty("eventCount").GetInt64() == 4, TimeSpan.FromSeconds(10), "all four events applied");
            Assert.Equal([50m, 80m, 100m], crossings.Select(c => c.Threshold).Order());
            Assert.All(crossings, c => Assert.Equal(DateTimeOffset.UtcNow.ToString("yyyy-MM"), c.Period));
            Assert.Equal("red", project.GetProperty("budget").GetProperty("state").GetString());
            Assert.Equal(120m, project.GetProperty("budget").GetProperty("percentUsed").GetDecimal());

            var alerts = await server.GetJsonAsync("v1/alerts?org=acme");
            Assert.Equal(3, alerts.GetArrayLength());
            var hundred = alerts.EnumerateArray().Single(a => a.GetProperty("threshold").GetDecimal() == 100m);
            Assert.Equal(11m, hundred.GetProperty("used").GetDecimal());
            Assert.Equal("s3", hundred.GetProperty("triggeredBy").GetString());
        }
        finally
        {
            await server.DisposeAsync();
        }

        // A new node on the same database: grains replay, the same batch is re-sent, more is spent.
        await using var restarted = await InProcessServer.StartAsync(database);
        using var again = restarted.Client(admin);
        var after = new ConcurrentQueue<CrossingMessage>();
        var burns = new ConcurrentQueue<BurnMessage>();
        await using var hub2 = await Watch(restarted, admin, after, burns);
        await Spend(again, "s3", 2m); // duplicate
        await Spend(again, "s5", 5m);
        await Poll.Until(() => Task.FromResult(burns.LastOrDefault()?.Total), t => t == 17m, TimeSpan.FromSeconds(20), "the new spend to be live");
        Assert.Empty(after);
        Assert.Equal(3, (await restarted.GetJsonAsync("v1/alerts?org=acme")).GetArrayLength());
    }

    [Theory]
    [InlineData("""{"limit":0}""", "limit")]
    [InlineData("""{"limit":10,"period":"weekly"}""", "period")]
    [InlineData("""{"limit":10,"thresholds":[80,80]}""", "thresholds")]
    [InlineData("""{"limit":10,"thresholds":[]}""", "thresholds")]
    public async Task Invalid_budget_is_refused_naming_the_field(string body, string field)
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        var admin = await server.CreateOrgAsync("acme", "admin");
        using var client = server.Client(admin);
        var response = await client.PutAsync("v1/projects/b/budget", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
    }
}
