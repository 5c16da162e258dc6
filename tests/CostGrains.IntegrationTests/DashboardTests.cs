using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostGrains.IntegrationTests;

/// <summary>The dashboard in a real browser (Debian chromium, driven by Playwright).</summary>
[Collection(PostgresCollection.Name)]
public sealed class DashboardTests(PostgresFixture postgres)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>Debian's chromium, headless, with nothing running in the background.</summary>
    private static Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        Assert.True(File.Exists(Chromium), "Debian chromium is required (apt-get install -y chromium)");
        return playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [Fact]
    public async Task Dashboard_shows_live_spend_and_turns_the_budget_bar_red_without_a_reload()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("dashboard"));
        var admin = await server.CreateOrgAsync("acme", "admin");
        using var api = server.Client(admin);
        async Task Spend(string id, decimal amount, string category) =>
            Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync("v1/events",
                new[] { new { id, time = DateTimeOffset.UtcNow, project = "web", amount, category } })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("v1/projects/web/budget", new { limit = 10m })).StatusCode);
        await Spend("d1", 2m, "compute");
        await Poll.Until(() => server.GetJsonAsync("v1/projects/web?org=acme"),
            p => p.GetProperty("eventCount").GetInt64() == 1, TimeSpan.FromSeconds(10), "the first event");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 }, ReducedMotion = ReducedMotion.Reduce });
        await page.GotoAsync(server.BaseAddress.ToString());

        await page.GetByLabel("API key").FillAsync(admin);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "web" }).ClickAsync();
        var budget = page.GetByRole(AriaRole.Progressbar, new() { Name = "Budget used" });
        await Expect(page.Locator("#total")).ToHaveTextAsync("$2.00");
        await Expect(budget).ToHaveAttributeAsync("data-state", "green");
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");

        // Usage arrives through the API; the open page follows without a reload.
        await Spend("d2", 6.5m, "storage");
        await Expect(page.Locator("#total")).ToHaveTextAsync("$8.50");
        await Expect(page.Locator("#storage")).ToHaveTextAsync("$6.50");
        await Expect(budget).ToHaveAttributeAsync("data-state", "yellow");

        await Spend("d3", 3m, "compute");
        await Expect(budget).ToHaveAttributeAsync("data-state", "red");
        await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "crossed 100%" })).ToBeVisibleAsync();
        await Expect(page.Locator("#row-web .spent")).ToHaveTextAsync("$11.50");

        var artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts.FullName, "dashboard.png"), FullPage = true });
    }

    [Fact]
    public async Task Projects_page_drills_down_and_the_report_view_charts_each_project_and_downloads_csv_and_invoices()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("dashboard_billing"));
        var admin = await server.CreateOrgAsync("acme", "admin");
        using var api = server.Client(admin);
        var now = DateTimeOffset.UtcNow;
        var previous = new DateTimeOffset(now.Year, now.Month, 1, 12, 0, 0, TimeSpan.Zero).AddMonths(-1);
        await server.PutSkuAsync("acme", "cpu", "USD", "compute", ("2020-01-01T00:00:00Z", 0.03m));
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync("v1/events", new object[]
        {
            new { id = "i1", type = "instance", time = now.AddMinutes(-5), project = "web", resource = "web-1", hourlyCost = 0.5m, host = "node-3" },
            new { id = "b1", type = "bucket", time = now.AddMinutes(-5), project = "web", resource = "assets", hourlyCost = 0.02m },
            new { id = "d1", type = "deployment", time = now.AddMinutes(-5), project = "web", resource = "api", replicas = 2, resources = new { requests = new { cpu = 1 } } },
            new { id = "p1", time = previous, project = "web", amount = 30m, category = "compute", resource = "web-1" },
            new { id = "p2", time = previous.AddDays(3), project = "data", amount = 12.5m, category = "storage", resource = "lake" },
            new { id = "m1", time = now.AddMinutes(-1), project = "web", amount = 2m, category = "compute", resource = "web-1" },
        })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PutAsJsonAsync("v1/billing-accounts/main", new { name = "Main", projects = new[] { "web", "data" } })).StatusCode);
        var period = previous.ToString("yyyy-MM");
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("v1/billing-accounts/main/invoices", new { period })).StatusCode);
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 1400 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.GetByLabel("API key").FillAsync(admin);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        // Drill-down: burn from the running instance and bucket, each resource with its cost.
        await page.GetByRole(AriaRole.Button, new() { Name = "web" }).ClickAsync();
        await Expect(page.Locator("#perHour")).ToHaveTextAsync("$0.52");
        await Expect(page.Locator("#instance-web-1")).ToContainTextAsync("node-3");
        await Expect(page.Locator("#instance-web-1")).ToContainTextAsync("$32.00");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Storage" })).ToContainTextAsync("assets");
        await Expect(page.Locator("#allocated")).ToHaveTextAsync("$43.80"); // 2 × 1 core × $0.03 × 730 h

        // Report: the previous month of the account, one line per project.
        await page.GetByLabel("Account").SelectOptionAsync("main");
        await page.GetByLabel("Range").SelectOptionAsync("previous-month");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show report" }).ClickAsync();
        await Expect(page.Locator("#report-summary")).ToContainTextAsync("$42.50 across 2 project(s)");
        Assert.Equal(2, await page.EvaluateAsync<int>("Chart.getChart('report-chart').data.datasets.length"));
        await Expect(page.Locator("#report-web")).ToContainTextAsync("$30.00");
        await Expect(page.GetByRole(AriaRole.Table, new() { Name = "Cost per resource type" })).ToContainTextAsync("storage");

        var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
        var csvText = await File.ReadAllTextAsync(await csv.PathAsync());
        Assert.StartsWith("date,project,project_name,category,amount_usd", csvText);
        Assert.Contains(",web,web,compute,30", csvText);

        var pdf = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download INV-000001" }).ClickAsync());
        Assert.Equal("INV-000001.pdf", pdf.SuggestedFilename);
        Assert.Equal("%PDF-"u8.ToArray(), (await File.ReadAllBytesAsync(await pdf.PathAsync()))[..5]);

        var artifacts = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts.FullName, "billing.png"), FullPage = true });
    }
}
