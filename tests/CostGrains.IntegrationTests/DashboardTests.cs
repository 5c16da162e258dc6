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

    [Fact]
    public async Task Dashboard_shows_live_spend_and_turns_the_budget_bar_red_without_a_reload()
    {
        Assert.True(File.Exists(Chromium), "Debian chromium is required (apt-get install -y chromium)");
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
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
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
}
