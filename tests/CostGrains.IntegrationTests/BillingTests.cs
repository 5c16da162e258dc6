using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostGrains.Reports;

namespace CostGrains.IntegrationTests;

/// <summary>Billing accounts, reports over date ranges in a time zone, CSV, and invoices equal to the report.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BillingTests(PostgresFixture postgres)
{
    private static async Task<string> Field(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("field").GetString()!;
    }

    [Fact]
    public async Task Report_counts_days_in_the_account_time_zone_and_the_invoice_equals_it_to_the_cent()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("billing"));
        using var admin = server.Client(await server.CreateOrgAsync("acme", "admin"));
        using var member = server.Client(await server.CreateKeyAsync("acme", "member"));

        var put = await admin.PutAsJsonAsync("v1/billing-accounts/main",
            new { name = "Main account", projects = new[] { "web", "data" }, timeZone = "America/New_York" });
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PutAsJsonAsync("v1/billing-accounts/other",
            new { name = "Other", projects = new[] { "web" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PutAsJsonAsync("v1/billing-accounts/x", new { name = "X" })).StatusCode);

        // 2026-10-01T02:00Z is still September 30 in New York; 2026-11-01T03:00Z is still October 31.
        await admin.SendEventsAsync(
            new { id = "e1", time = "2026-10-01T02:00:00Z", project = "web", amount = 1.005m, category = "compute" },
            new { id = "e2", time = "2026-10-01T12:00:00Z", project = "web", amount = 2.0049m, category = "compute" },
            new { id = "e3", time = "2026-10-15T12:00:00Z", project = "web", amount = 3.3333m, category = "storage" },
            new { id = "e4", time = "2026-10-31T12:00:00Z", project = "data", amount = 0.125m, category = "compute" },
            new { id = "e5", time = "2026-11-01T03:00:00Z", project = "data", amount = 10m, category = "ai", resource = "llm-batch" },
            new { id = "e6", time = "2026-11-02T12:00:00Z", project = "data", amount = 7m, category = "ai", resource = "llm-batch" },
            new { id = "e7", time = "2026-10-10T12:00:00Z", project = "ops", amount = 99m, category = "compute" });
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(15));

        var report = await member.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/report?from=2026-10-01&to=2026-10-31");
        Assert.Equal("America/New_York", report.GetProperty("timeZone").GetString());
        Assert.Equal(31, report.GetProperty("days").GetArrayLength());
        var web = report.GetProperty("projects").EnumerateArray().Single(p => p.GetProperty("project").GetString() == "web");
        var data = report.GetProperty("projects").EnumerateArray().Single(p => p.GetProperty("project").GetString() == "data");
        Assert.Equal(2.0049m, web.GetProperty("daily")[0].GetDecimal());
        Assert.Equal(3.3333m, web.GetProperty("daily")[14].GetDecimal());
        Assert.Equal(10.125m, data.GetProperty("daily")[30].GetDecimal());
        Assert.Equal(5.3382m, web.GetProperty("total").GetDecimal());
        Assert.Equal(15.4632m, report.GetProperty("total").GetDecimal());
        Assert.Equal(10m, report.GetProperty("byCategory").GetProperty("ai").GetDecimal());
        Assert.DoesNotContain(report.GetProperty("projects").EnumerateArray(), p => p.GetProperty("project").GetString() == "ops");

        // The same range in UTC moves e1 into October and e5 out of it.
        var utc = await member.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/report?from=2026-10-01&to=2026-10-31&tz=UTC");
        Assert.Equal(6.4682m, utc.GetProperty("total").GetDecimal());
        var subset = await member.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/report?from=2026-10-01&to=2026-10-31&projects=data");
        Assert.Equal("data", Assert.Single(subset.GetProperty("projects").EnumerateArray()).GetProperty("project").GetString());

        // CSV: one row per day, project and category with a cost.
        var csv = await member.GetAsync("v1/billing-accounts/main/report?from=2026-10-01&to=2026-10-31&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("date,project,project_name,category,amount_usd", lines[0]);
        Assert.Contains("2026-10-31,data,data,ai,10", lines);
        Assert.Equal(15.4632m, lines.Skip(1).Sum(l => decimal.Parse(l.Split(',')[4], System.Globalization.CultureInfo.InvariantCulture)));

        // The invoice for October: one line per project and category, each the report's figure to the cent.
        var issued = await admin.PostAsJsonAsync("v1/billing-accounts/main/invoices", new { period = "2026-10" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var invoice = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var number = invoice.GetProperty("number").GetString()!;
        var expected = report.GetProperty("projects").EnumerateArray()
            .SelectMany(p => p.GetProperty("byCategory").EnumerateObject()
                .Select(c => (Project: p.GetProperty("project").GetString(), Category: c.Name, Amount: SpendReport.Cents(c.Value.GetDecimal()))))
            .OrderBy(l => l.Project).ThenBy(l => l.Category).ToList();
        var lines2 = invoice.GetProperty("lines").EnumerateArray()
            .Select(l => (Project: l.GetProperty("project").GetString(), Category: l.GetProperty("category").GetString()!, Amount: l.GetProperty("amount").GetDecimal()))
            .OrderBy(l => l.Project).ThenBy(l => l.Category).ToList();
        Assert.Equal(expected, lines2);
        Assert.Equal([10m, 0.13m, 2.00m, 3.33m], lines2.Select(l => l.Amount).ToArray());
        Assert.Equal(15.46m, invoice.GetProperty("total").GetDecimal());

        // Immutable: late usage for October changes the report, never the issued invoice.
        await admin.SendEventsAsync(new { id = "late", time = "2026-10-20T12:00:00Z", project = "web", amount = 100m, category = "compute" });
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(15));
        var again = await admin.PostAsJsonAsync("v1/billing-accounts/main/invoices", new { period = "2026-10" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(number, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("number").GetString());
        var stored = await member.GetFromJsonAsync<JsonElement>($"v1/billing-accounts/main/invoices/{number}");
        Assert.Equal(15.46m, stored.GetProperty("total").GetDecimal());
        Assert.Single((await member.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/invoices")).EnumerateArray());

        var pdf = await member.GetAsync($"v1/billing-accounts/main/invoices/{number}/pdf");
        Assert.Equal(HttpStatusCode.OK, pdf.StatusCode);
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType?.MediaType);
        using (var document = UglyToad.PdfPig.PdfDocument.Open(await pdf.Content.ReadAsByteArrayAsync()))
        {
            var text = string.Join(" ", document.GetPages().Select(p => p.Text));
            Assert.Contains($"Invoice {number}", text);
            Assert.Contains("Main account (main)", text);
            Assert.Contains("15.46 USD", text);
            Assert.All(lines2, l => Assert.Contains(l.Amount.ToString("#,##0.00", System.Globalization.CultureInfo.InvariantCulture), text));
        }


        // A month that is not over yet cannot be invoiced.
        var thisMonth = DateTimeOffset.UtcNow.ToString("yyyy-MM");
        Assert.Equal("period", await Field(await admin.PostAsJsonAsync("v1/billing-accounts/main/invoices", new { period = thisMonth })));
        Assert.Equal("period", await Field(await admin.PostAsJsonAsync("v1/billing-accounts/main/invoices", new { period = "October" })));
        Assert.Equal(HttpStatusCode.NotFound, (await member.GetAsync("v1/billing-accounts/main/invoices/INV-999999")).StatusCode);
    }

    [Fact]
    public async Task Presets_month_to_date_by_resource_and_bad_parameters()
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        using var admin = server.Client(await server.CreateOrgAsync("acme", "admin"));
        Assert.Equal(HttpStatusCode.Created, (await admin.PutAsJsonAsync("v1/billing-accounts/main", new { name = "Main", projects = new[] { "web" } })).StatusCode);
        var now = DateTimeOffset.UtcNow;
        var firstOfMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        await admin.SendEventsAsync(
            new { id = "a", time = now.AddMinutes(-1), project = "web", amount = 4m, category = "compute", resource = "vm-1" },
            new { id = "b", time = now.AddMinutes(-1), project = "web", amount = 1m, category = "storage", resource = "bucket-1" },
            new { id = "c", time = firstOfMonth.AddDays(-1), project = "web", amount = 8m, category = "compute", resource = "vm-1" });
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));

        var thisMonth = await admin.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/report?preset=this-month");
        Assert.Equal(DateOnly.FromDateTime(firstOfMonth.UtcDateTime).ToString("yyyy-MM-dd"), thisMonth.GetProperty("from").GetString());
        Assert.Equal(5m, thisMonth.GetProperty("total").GetDecimal());
        var previous = await admin.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/report?preset=previous-month");
        Assert.Equal(8m, previous.GetProperty("total").GetDecimal());
        var threeMonths = await admin.GetFromJsonAsync<JsonElement>("v1/billing-accounts/main/report?preset=last-3-months");
        Assert.Equal(13m, threeMonths.GetProperty("total").GetDecimal());
        Assert.Equal(DateOnly.FromDateTime(firstOfMonth.AddMonths(-2).UtcDateTime).ToString("yyyy-MM-dd"), threeMonths.GetProperty("from").GetString());
        var mtd = thisMonth.GetProperty("monthToDate").EnumerateArray().ToList();
        Assert.Equal(4m, mtd.Single(r => r.GetProperty("resource").GetString() == "vm-1").GetProperty("amount").GetDecimal());

        var usage = await admin.GetFromJsonAsync<JsonElement>("v1/projects/web/usage");
        Assert.Equal(5m, usage.GetProperty("total").GetDecimal());
        Assert.Equal(2, usage.GetProperty("resources").GetArrayLength());
        var org = await admin.GetFromJsonAsync<JsonElement>("v1/report?preset=last-12-months");
        Assert.Equal(13m, org.GetProperty("total").GetDecimal());

        Assert.Equal("tz", await Field(await admin.GetAsync("v1/billing-accounts/main/report?tz=Mars/Olympus")));
        Assert.Equal("preset", await Field(await admin.GetAsync("v1/billing-accounts/main/report?preset=forever")));
        Assert.Equal("preset", await Field(await admin.GetAsync("v1/billing-accounts/main/report?preset=this-month&from=2026-01-01")));
        Assert.Equal("to", await Field(await admin.GetAsync("v1/billing-accounts/main/report?from=2026-10-02&to=2026-10-01")));
        Assert.Equal("from", await Field(await admin.GetAsync("v1/billing-accounts/main/report?from=01/10/2026&to=2026-10-01")));
        Assert.Equal("to", await Field(await admin.GetAsync("v1/billing-accounts/main/report?from=2020-01-01&to=2026-10-01")));
        Assert.Equal("projects", await Field(await admin.GetAsync("v1/billing-accounts/main/report?projects=web,ghost")));
        Assert.Equal("format", await Field(await admin.GetAsync("v1/billing-accounts/main/report?format=xml")));
        Assert.Equal("timeZone", await Field(await admin.PutAsJsonAsync("v1/billing-accounts/x", new { name = "X", timeZone = "Nowhere" })));
        Assert.Equal("month", await Field(await admin.GetAsync("v1/projects/web/usage?month=13")));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("v1/billing-accounts/ghost/report")).StatusCode);
    }
}
