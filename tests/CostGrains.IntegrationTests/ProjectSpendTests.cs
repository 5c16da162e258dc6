using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace CostGrains.IntegrationTests;

/// <summary>
/// A project's page: burn made of its running instances and warm storage, spend from billed
/// intervals, the drill-down, and attribution that survives deletion and re-assignment.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ProjectSpendTests(PostgresFixture postgres)
{
    private static Task<JsonElement> Project(HttpClient client, string key, long events) =>
        Poll.Until(() => client.GetFromJsonAsync<JsonElement>($"v1/projects/{key}"),
            p => p.GetProperty("eventCount").GetInt64() >= events, TimeSpan.FromSeconds(15), $"{events} events in project {key}");

    private static JsonElement Named(JsonElement project, string list, string name) =>
        project.GetProperty(list).EnumerateArray().Single(r => r.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Burn_is_running_instances_plus_warm_storage_and_the_drill_down_shows_each_resource()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("spend"));
        using var admin = server.Client(await server.CreateOrgAsync("acme", "admin"));
        await server.PutSkuAsync("acme", "n2-standard-4", "USD", "compute", ("2026-01-01T00:00:00Z", 0.19m));
        await server.PutSkuAsync("acme", "cpu", "USD", "compute", ("2026-01-01T00:00:00Z", 0.03m));
        await server.PutSkuAsync("acme", "memory", "USD", "compute", ("2026-01-01T00:00:00Z", 0.004m));

        await admin.SendEventsAsync(
            new { id = "i1", type = "instance", time = "2026-11-01T00:00:00Z", project = "shop", resource = "web-1", state = "running",
                  hourlyCost = 0.50m, host = "node-7", specs = new { vcpus = 2, memoryGiB = 8 } },
            new { id = "i2", type = "instance", time = "2026-11-01T00:00:00Z", project = "shop", resource = "web-2", sku = "n2-standard-4" },
            new { id = "i3", type = "instance", time = "2026-11-01T00:00:00Z", project = "shop", resource = "batch-1", state = "stopped", hourlyCost = 1.00m },
            new { id = "b1", type = "bucket", time = "2026-11-01T00:00:00Z", project = "shop", resource = "assets", hourlyCost = 0.02m },
            new { id = "d1", type = "deployment", time = "2026-11-01T00:00:00Z", project = "shop", resource = "api", replicas = 3,
                  resources = new { requests = new { cpu = "500m", memory = "2Gi" } } },
            new { id = "u1", time = "2026-11-01T00:00:00Z", end = "2026-11-01T20:00:00Z", project = "shop", resource = "web-1", amount = 10.00m, category = "compute" },
            new { id = "u2", time = "2026-11-01T00:00:00Z", project = "shop", resource = "assets", amount = 2.50m, category = "storage" });

        var shop = await Project(admin, "shop", 7);
        Assert.Equal(0.71m, shop.GetProperty("burn").GetProperty("perHour").GetDecimal());
        Assert.Equal(17.04m, shop.GetProperty("burn").GetProperty("perDay").GetDecimal());
        Assert.Equal(0.69m, shop.GetProperty("burn").GetProperty("compute").GetDecimal());
        Assert.Equal(0.02m, shop.GetProperty("burn").GetProperty("storage").GetDecimal());
        Assert.Equal(2, shop.GetProperty("instanceCount").GetInt32());
        Assert.Equal(12.50m, shop.GetProperty("spent").GetProperty("total").GetDecimal());
        Assert.Equal(10.00m, shop.GetProperty("spent").GetProperty("compute").GetDecimal());
        Assert.Equal(2.50m, shop.GetProperty("spent").GetProperty("storage").GetDecimal());

        var web1 = Named(shop, "instances", "web-1");
        Assert.Equal("running", web1.GetProperty("state").GetString());
        Assert.Equal("node-7", web1.GetProperty("host").GetString());
        Assert.Equal(8, web1.GetProperty("specs").GetProperty("memoryGiB").GetInt32());
        Assert.Equal(0.50m, web1.GetProperty("hourlyCost").GetDecimal());
        Assert.Equal(10.00m, web1.GetProperty("spent").GetDecimal());
        Assert.Equal(0.19m, Named(shop, "instances", "web-2").GetProperty("hourlyCost").GetDecimal());
        Assert.Equal(0m, Named(shop, "instances", "batch-1").GetProperty("perHour").GetDecimal());
        Assert.Equal(2.50m, Named(shop, "storage", "assets").GetProperty("spent").GetDecimal());

        // (0.5 cores × $0.03 + 2 GiB × $0.004) × 3 replicas = $0.069/h; × 730 h = $50.37 a month.
        var api = Named(shop, "deployments", "api");
        Assert.Equal(3, api.GetProperty("replicas").GetInt32());
        Assert.Equal(0.069m, api.GetProperty("hourlyCost").GetDecimal());
        Assert.Equal(50.37m, api.GetProperty("allocatedPerMonth").GetDecimal());
        Assert.Equal(50.37m, shop.GetProperty("allocated").GetProperty("perMonth").GetDecimal());

        // Stopping an instance, deleting the bucket and scaling the deployment change the live
        // figures only; a late report from before the stop changes nothing.
        await admin.SendEventsAsync(
            new { id = "i1-stop", type = "instance", time = "2026-11-02T00:00:00Z", project = "shop", resource = "web-1", state = "stopped" },
            new { id = "i1-late", type = "instance", time = "2026-11-01T12:00:00Z", project = "shop", resource = "web-1", state = "running", hourlyCost = 9m },
            new { id = "b1-del", type = "bucket", time = "2026-11-02T00:00:00Z", project = "shop", resource = "assets", state = "deleted" },
            new { id = "d1-scale", type = "deployment", time = "2026-11-02T00:00:00Z", project = "shop", resource = "api", replicas = 1,
                  resources = new { requests = new { cpu = 0.5m, memory = "2048Mi" } } });
        shop = await Project(admin, "shop", 11);
        Assert.Equal(0.19m, shop.GetProperty("burn").GetProperty("perHour").GetDecimal());
        Assert.Equal(1, shop.GetProperty("instanceCount").GetInt32());
        Assert.Equal("stopped", Named(shop, "instances", "web-1").GetProperty("state").GetString());
        Assert.Equal(0.50m, Named(shop, "instances", "web-1").GetProperty("hourlyCost").GetDecimal());
        Assert.Equal("deleted", Named(shop, "storage", "assets").GetProperty("state").GetString());
        Assert.Equal(2.50m, Named(shop, "storage", "assets").GetProperty("spent").GetDecimal());
        Assert.Equal(0.023m * 730m, shop.GetProperty("allocated").GetProperty("perMonth").GetDecimal());
        Assert.Equal(12.50m, shop.GetProperty("spent").GetProperty("total").GetDecimal());

        var list = Assert.Single((await admin.GetFromJsonAsync<JsonElement>("v1/projects")).EnumerateArray());
        Assert.Equal(1, list.GetProperty("instanceCount").GetInt32());
        Assert.Equal(0.19m, list.GetProperty("burn").GetProperty("perHour").GetDecimal());
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Reassigning_an_instance_moves_its_burn_and_never_its_past_totals_also_across_a_restart()
    {
        var database = await postgres.Server.CreateDatabaseAsync("reassign");
        string key;
        await using (var server = await InProcessServer.StartAsync(database))
        {
            key = await server.CreateOrgAsync("acme", "admin");
            using var admin = server.Client(key);
            await admin.SendEventsAsync(
                new { id = "r1", type = "instance", time = "2026-11-01T00:00:00Z", project = "alpha", resource = "gpu-box", hourlyCost = 2.00m },
                new { id = "u1", time = "2026-11-01T00:00:00Z", project = "alpha", resource = "gpu-box", amount = 48.00m, category = "compute" });
            var alpha = await Project(admin, "alpha", 2);
            Assert.Equal(2.00m, alpha.GetProperty("burn").GetProperty("perHour").GetDecimal());

            // The agent now reports the instance under beta: beta burns for it, alpha stops.
            await admin.SendEventsAsync(
                new { id = "r2", type = "instance", time = "2026-11-02T00:00:00Z", project = "beta", resource = "gpu-box", hourlyCost = 2.00m },
                new { id = "u2", time = "2026-11-02T00:00:00Z", project = "beta", resource = "gpu-box", amount = 12.00m, category = "compute" });
            await Project(admin, "beta", 2);
            alpha = await Poll.Until(() => admin.GetFromJsonAsync<JsonElement>("v1/projects/alpha"),
                p => p.GetProperty("burn").GetProperty("perHour").GetDecimal() == 0m, TimeSpan.FromSeconds(15), "alpha to release gpu-box");
            AssertMoved(alpha);
        }

        await using (var restarted = await InProcessServer.StartAsync(database))
        {
            using var admin = restarted.Client(key);
            AssertMoved(await Project(admin, "alpha", 2));
            var beta = await Project(admin, "beta", 2);
            Assert.Equal(2.00m, beta.GetProperty("burn").GetProperty("perHour").GetDecimal());
            Assert.Equal(12.00m, beta.GetProperty("spent").GetProperty("total").GetDecimal());
            Assert.Equal("running", Named(beta, "instances", "gpu-box").GetProperty("state").GetString());

            // A stale report for alpha from before the move does not take the instance back.
            await admin.SendEventsAsync(new { id = "r0", type = "instance", time = "2026-11-01T12:00:00Z", project = "alpha", resource = "gpu-box", hourlyCost = 2.00m });
            AssertMoved(await Poll.Until(() => admin.GetFromJsonAsync<JsonElement>("v1/projects/alpha"),
                p => p.GetProperty("eventCount").GetInt64() == 3, TimeSpan.FromSeconds(15), "the stale report"));
            await restarted.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));
        }

        static void AssertMoved(JsonElement alpha)
        {
            Assert.Equal(0m, alpha.GetProperty("burn").GetProperty("perHour").GetDecimal());
            Assert.Equal(48.00m, alpha.GetProperty("spent").GetProperty("total").GetDecimal());
            var box = Named(alpha, "instances", "gpu-box");
            Assert.Equal("moved", box.GetProperty("state").GetString());
            Assert.Equal("beta", box.GetProperty("movedTo").GetString());
            Assert.Equal(48.00m, box.GetProperty("spent").GetDecimal());
        }
    }

    [Fact]
    public async Task Resource_reports_with_bad_fields_are_refused_with_the_field_named_and_store_nothing()
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        using var admin = server.Client(await server.CreateOrgAsync("acme", "admin"));
        await server.PutSkuAsync("acme", "cpu", "USD", "compute", ("2026-01-01T00:00:00Z", 0.03m));
        (object Event, string Field)[] cases =
        [
            (new { id = "x", type = "vm", time = "2026-11-01T00:00:00Z", project = "p", resource = "a" }, "type"),
            (new { id = "x", type = "instance", time = "2026-11-01T00:00:00Z", project = "p", hourlyCost = 1m }, "resource"),
            (new { id = "x", type = "instance", time = "2026-11-01T00:00:00Z", project = "p", resource = "a" }, "hourlyCost"),
            (new { id = "x", type = "instance", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", state = "paused", hourlyCost = 1m }, "state"),
            (new { id = "x", type = "instance", time = "2026-11-01T00:00:00Z", workspace = "w", resource = "a", hourlyCost = 1m }, "type"),
            (new { id = "x", type = "bucket", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", hourlyCost = -1m }, "hourlyCost"),
            (new { id = "x", type = "deployment", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", resources = new { requests = new { cpu = 1 } } }, "replicas"),
            (new { id = "x", type = "deployment", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", replicas = 1 }, "resources.requests"),
            (new { id = "x", type = "deployment", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", replicas = 1, resources = new { requests = new { cpu = "lots" } } }, "resources.requests.cpu"),
            (new { id = "x", type = "deployment", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", replicas = 1, resources = new { requests = new { gpu = 1 } } }, "resources.requests.gpu"),
            (new { id = "x", type = "instance", time = "2026-11-01T00:00:00Z", project = "p", resource = "a", amount = 3m, hourlyCost = 1m }, "amount"),
        ];
        foreach (var (e, field) in cases)
        {
            var response = await admin.PostAsJsonAsync("v1/events", new[] { e });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), err => err.GetProperty("field").GetString() == field);
        }

        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("v1/projects")).EnumerateArray());
    }

    [Fact]
    public async Task Prepaid_credits_draw_down_live_and_warn_once_before_and_once_when_they_run_out_also_across_a_restart()
    {
        var database = await postgres.Server.CreateDatabaseAsync("credits");
        var server = await InProcessServer.StartAsync(database);
        var adminKey = await server.CreateOrgAsync("acme", "admin");
        using var admin = server.Client(adminKey);
        await admin.SendEventsAsync(new { id = "u0", time = DateTimeOffset.UtcNow, project = "lab", amount = 5m, category = "compute" });
        await Project(admin, "lab", 1);

        var burns = new ConcurrentQueue<BurnMessage>();
        var alerts = new ConcurrentQueue<AlertMessageDto>();
        await using var hub = server.ConnectHub(await server.CreateKeyAsync("acme", "member"));
        hub.On<BurnMessage>("burn", burns.Enqueue);
        hub.On<AlertMessageDto>("alert", alerts.Enqueue);
        await hub.StartAsync();
        await hub.InvokeAsync("Subscribe", "project", "lab");

        var funded = await admin.PostAsJsonAsync("v1/projects/lab/credits", new { id = "po-1", amount = 100m, alertBelow = 20m });
        Assert.Equal(HttpStatusCode.OK, funded.StatusCode);
        Assert.Equal(100m, (await funded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("balance").GetDecimal());
        // Funding again with the same id changes nothing.
        Assert.Equal(100m, (await (await admin.PostAsJsonAsync("v1/projects/lab/credits", new { id = "po-1", amount = 100m }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("funded").GetDecimal());

        await admin.SendEventsAsync(new { id = "u1", time = DateTimeOffset.UtcNow, project = "lab", amount = 85m, category = "compute" });
        await Poll.Until(() => Task.FromResult(alerts.ToArray()), a => a.Any(x => x.Type == "credits-low"), TimeSpan.FromSeconds(15), "the low-credit alert");
        await Poll.Until(() => Task.FromResult(burns.ToArray()), b => b.Any(x => x.CreditBalance == 15m), TimeSpan.FromSeconds(15), "a live balance of 15");

        await admin.SendEventsAsync(
            new { id = "u2", time = DateTimeOffset.UtcNow, project = "lab", amount = 20m, category = "compute" },
            new { id = "u3", time = DateTimeOffset.UtcNow, project = "lab", amount = 1m, category = "compute" });
        var lab = await Project(admin, "lab", 4);
        var credits = lab.GetProperty("credits");
        Assert.Equal(100m, credits.GetProperty("drawn").GetDecimal());
        Assert.Equal(0m, credits.GetProperty("balance").GetDecimal());
        Assert.Equal(111m, lab.GetProperty("spent").GetProperty("total").GetDecimal());
        await Poll.Until(() => Task.FromResult(alerts.ToArray()), a => a.Any(x => x.Type == "credits-exhausted"), TimeSpan.FromSeconds(15), "the exhausted alert");

        var log = await admin.GetFromJsonAsync<JsonElement>("v1/alerts");
        Assert.Equal(1, log.EnumerateArray().Count(a => a.GetProperty("type").GetString() == "credits-low"));
        Assert.Equal(1, log.EnumerateArray().Count(a => a.GetProperty("type").GetString() == "credits-exhausted"));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("v1/projects/lab/credits", new { id = "po-2", amount = -5m })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("v1/projects/nope/credits", new { id = "po-3", amount = 5m })).StatusCode);

        // After a restart (replay from the checkpoint) the balance is the same and nothing fires again.
        await hub.DisposeAsync();
        await server.DisposeAsync();
        await using var restarted = await InProcessServer.StartAsync(database);
        using var again = restarted.Client(adminKey);
        await again.SendEventsAsync(new { id = "u4", time = DateTimeOffset.UtcNow, project = "lab", amount = 2m, category = "compute" });
        lab = await Project(again, "lab", 5);
        Assert.Equal(100m, lab.GetProperty("credits").GetProperty("drawn").GetDecimal());
        Assert.Equal(113m, lab.GetProperty("spent").GetProperty("total").GetDecimal());
        log = await again.GetFromJsonAsync<JsonElement>("v1/alerts");
        Assert.Equal(1, log.EnumerateArray().Count(a => a.GetProperty("type").GetString() == "credits-low"));
        Assert.Equal(1, log.EnumerateArray().Count(a => a.GetProperty("type").GetString() == "credits-exhausted"));
    }

    [Fact]
    public async Task A_daily_cost_jump_over_the_trailing_average_alerts_once_also_across_a_restart()
    {
        var database = await postgres.Server.CreateDatabaseAsync("runaway");
        string key;
        await using (var server = await InProcessServer.StartAsync(database))
        {
            key = await server.CreateOrgAsync("acme", "admin");
            using var admin = server.Client(key);
            var policy = await admin.PutAsJsonAsync("v1/projects/etl/runaway", new { factor = 3m, trailingDays = 7, minimumDailyCost = 5m });
            Assert.Equal(HttpStatusCode.NotFound, policy.StatusCode); // no such project yet

            // Seven ordinary days at $10, then $31 on the eighth (3.1× the average).
            await admin.SendEventsAsync(Enumerable.Range(1, 7).Select(d => (object)new { id = $"d{d}", time = $"2026-10-0{d}T12:00:00Z", project = "etl", amount = 10m }).ToArray());
            await Project(admin, "etl", 7);
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("v1/projects/etl/runaway", new { factor = 3m, trailingDays = 7, minimumDailyCost = 5m })).StatusCode);
            Assert.Equal("factor", (await (await admin.PutAsJsonAsync("v1/projects/etl/runaway", new { factor = 0.5m }))
                .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("field").GetString());

            await admin.SendEventsAsync(new { id = "d8a", time = "2026-10-08T01:00:00Z", project = "etl", amount = 29m });
            await Project(admin, "etl", 8);
            Assert.DoesNotContain((await admin.GetFromJsonAsync<JsonElement>("v1/alerts")).EnumerateArray(), a => a.GetProperty("type").GetString() == "runaway");
            await admin.SendEventsAsync(new { id = "d8b", time = "2026-10-08T02:00:00Z", project = "etl", amount = 2m },
                new { id = "d8c", time = "2026-10-08T03:00:00Z", project = "etl", amount = 40m });
            await Poll.Until(() => admin.GetFromJsonAsync<JsonElement>("v1/alerts"),
                a => a.EnumerateArray().Any(x => x.GetProperty("type").GetString() == "runaway"), TimeSpan.FromSeconds(15), "the runaway alert");
        }

        await using (var restarted = await InProcessServer.StartAsync(database))
        {
            using var admin = restarted.Client(key);
            await admin.SendEventsAsync(new { id = "d8d", time = "2026-10-08T04:00:00Z", project = "etl", amount = 50m });
            await Project(admin, "etl", 11);
            var runaway = (await admin.GetFromJsonAsync<JsonElement>("v1/alerts")).EnumerateArray()
                .Where(a => a.GetProperty("type").GetString() == "runaway").ToList();
            var alert = Assert.Single(runaway);
            Assert.Equal("2026-10-08", alert.GetProperty("period").GetString());
            Assert.Equal(31m, alert.GetProperty("used").GetDecimal());
            Assert.Equal(30m, alert.GetProperty("limit").GetDecimal());
        }
    }
}
