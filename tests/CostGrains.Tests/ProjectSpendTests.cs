using System.Text.Json;
using CostGrains.Ingest;
using CostGrains.Ledger;
using CostGrains.Projects;
using CostGrains.Reports;

namespace CostGrains.Tests;

public sealed class ResourceReportTests
{
    [Theory]
    [InlineData("\"500m\"", 0.5)]
    [InlineData("\"2Gi\"", 2)]
    [InlineData("\"512Mi\"", 0.5)]
    [InlineData("\"1Ti\"", 1024)]
    [InlineData("\"3\"", 3)]
    [InlineData("1.25", 1.25)]
    public void Kubernetes_quantities_are_read_in_cores_and_GiB(string json, double expected)
    {
        Assert.True(ResourceReports.TryParseQuantity(JsonDocument.Parse(json).RootElement, out var quantity));
        Assert.Equal((decimal)expected, quantity);
    }

    [Theory]
    [InlineData("\"-1\"")]
    [InlineData("\"2GB\"")]
    [InlineData("-3")]
    [InlineData("true")]
    public void Bad_quantities_are_refused(string json) =>
        Assert.False(ResourceReports.TryParseQuantity(JsonDocument.Parse(json).RootElement, out _));

    [Fact]
    public void A_deployment_is_priced_by_its_requests_times_replicas_at_its_time()
    {
        var catalog = new PriceCatalog("acme",
            new Dictionary<string, Sku>
            {
                ["cpu"] = new("cpu", "USD", "compute", [new SkuRate(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), 0.04m), new SkuRate(DateTimeOffset.Parse("2026-06-01T00:00:00Z"), 0.05m)]),
                ["memory"] = new("memory", "USD", "compute", [new SkuRate(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), 0.005m)]),
                ["nvidia.com.gpu"] = new("nvidia.com.gpu", "USD", "compute", [new SkuRate(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), 2m)]),
            },
            new Dictionary<string, string>(), 1);
        var errors = new List<IngestError>();
        var parsed = UsageEventParser.Parse(0, JsonDocument.Parse("""
            {"id":"d","type":"deployment","time":"2026-07-01T00:00:00Z","project":"p","resource":"api","replicas":4,
             "resources":{"requests":{"cpu":"250m","memory":"1Gi","nvidia.com/gpu":1}}}
            """).RootElement, errors);
        Assert.Empty(errors);
        var rated = Assert.Single(UsageRater.Rate("acme", [parsed!], catalog, 16, errors));
        Assert.Empty(errors);
        Assert.Equal(0m, rated.Amount);
        Assert.Equal(EventType.Deployment, rated.Change!.Type);
        Assert.Equal((0.25m * 0.05m + 1m * 0.005m + 1m * 2m) * 4, rated.Change.HourlyRate);
        Assert.Contains("\"replicas\":4", rated.Change.DetailsJson);
    }

    [Fact]
    public void An_instance_priced_by_sku_takes_the_rate_in_force_and_a_stopped_one_needs_no_price()
    {
        var catalog = new PriceCatalog("acme",
            new Dictionary<string, Sku> { ["vm"] = new("vm", "USD", "compute", [new SkuRate(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), 0.19m)]) },
            new Dictionary<string, string>(), 1);
        var errors = new List<IngestError>();
        var running = UsageEventParser.Parse(0, JsonDocument.Parse("""{"id":"a","type":"instance","time":"2026-07-01T00:00:00Z","project":"p","resource":"i-1","sku":"vm","quantity":2}""").RootElement, errors)!;
        var stopped = UsageEventParser.Parse(1, JsonDocument.Parse("""{"id":"b","type":"instance","time":"2026-07-02T00:00:00Z","project":"p","resource":"i-1","state":"stopped"}""").RootElement, errors)!;
        var rated = UsageRater.Rate("acme", [running, stopped], catalog, 16, errors);
        Assert.Empty(errors);
        Assert.Equal(0.38m, rated[0].Change!.HourlyRate);
        Assert.Null(rated[1].Change!.HourlyRate);
    }
}

public sealed class ProjectStateTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-01T00:00:00Z");

    [Fact]
    public void Burn_counts_running_instances_and_active_buckets_and_the_latest_report_wins()
    {
        var state = new ProjectState();
        state.Report("web", T0, new ResourceChange(EventType.Instance, "running", 0.5m, null));
        state.Report("db", T0, new ResourceChange(EventType.Instance, "stopped", 2m, null));
        state.Report("assets", T0, new ResourceChange(EventType.Bucket, "active", 0.01m, null));
        state.Report("api", T0, new ResourceChange(EventType.Deployment, "active", 0.1m, null));
        Assert.Equal(0.5m, state.ComputePerHour);
        Assert.Equal(0.01m, state.StoragePerHour);
        Assert.Equal(0.1m, state.AllocatedPerHour);
        Assert.Equal(1, state.InstanceCount);

        // A report older than the one applied changes nothing; a newer one without a price keeps the rate.
        Assert.False(state.Report("web", T0.AddHours(-1), new ResourceChange(EventType.Instance, "stopped", null, null)));
        Assert.True(state.Report("db", T0.AddHours(1), new ResourceChange(EventType.Instance, "running", null, null)));
        Assert.Equal(2.5m, state.ComputePerHour);
    }

    [Fact]
    public void A_release_is_ignored_when_the_project_reported_the_resource_later()
    {
        var state = new ProjectState();
        state.Report("box", T0.AddHours(2), new ResourceChange(EventType.Instance, "running", 1m, null));
        Assert.False(state.Release("box", "other", T0.AddHours(1)));
        Assert.Equal(1m, state.ComputePerHour);
        Assert.True(state.Release("box", "other", T0.AddHours(3)));
        Assert.Equal(0m, state.ComputePerHour);
        Assert.Equal("other", state.Resources["box"].MovedTo);
    }

    [Fact]
    public void The_trailing_average_covers_only_days_since_the_first_billed_day()
    {
        var state = new ProjectState();
        var first = ProjectState.DayOf(T0);
        state.Bill(new UsageRecord(1, "a", T0, 10m, "compute", null, null, null));
        state.Bill(new UsageRecord(2, "b", T0.AddDays(1), 20m, "compute", null, null, null));
        Assert.Equal(15m, state.TrailingAverage(first + 2, 7, first));
        Assert.Null(state.TrailingAverage(first, 7, first));
        Assert.Equal(20m, state.TrailingAverage(first + 2, 1, first));
    }

    [Fact]
    public void Credits_cover_positive_spend_until_used_up()
    {
        var credits = new Credits { Grants = [new CreditGrant("g", 10m, null, T0)] };
        Assert.Equal(1m, credits.LowMark);
        Assert.Equal(0m, credits.Draw(-4m));
        Assert.Equal(6m, credits.Draw(6m));
        Assert.Equal(4m, credits.Draw(7m));
        Assert.Equal(0m, credits.Balance);
        Assert.Equal(0m, credits.Draw(1m));
        Assert.Null(credits.Status(2m, T0).RunsOutAt);
        credits.Grants.Add(new CreditGrant("h", 4m, null, T0));
        Assert.Equal(T0.AddHours(2), credits.Status(2m, T0).RunsOutAt);
    }
}

public sealed class ReportTests
{
    private static readonly TimeZoneInfo Berlin = ReportRange.FindZone("Europe/Berlin")!;

    [Fact]
    public void Presets_are_calendar_months_in_the_zone()
    {
        var now = DateTimeOffset.Parse("2026-03-31T23:30:00Z"); // already April 1 in Berlin
        Assert.Equal((new DateOnly(2026, 4, 1), new DateOnly(2026, 4, 1)), Days(ReportRange.FromPreset("this-month", Berlin, now)!));
        Assert.Equal((new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)), Days(ReportRange.FromPreset("previous-month", Berlin, now)!));
        Assert.Equal((new DateOnly(2026, 2, 1), new DateOnly(2026, 4, 1)), Days(ReportRange.FromPreset("last-3-months", Berlin, now)!));
        Assert.Equal((new DateOnly(2025, 5, 1), new DateOnly(2026, 4, 1)), Days(ReportRange.FromPreset("last-12-months", Berlin, now)!));
        Assert.Null(ReportRange.FromPreset("forever", Berlin, now));

        static (DateOnly, DateOnly) Days(ReportRange r) => (r.From, r.To);
    }

    [Fact]
    public void A_day_across_the_daylight_saving_change_is_23_hours_long()
    {
        var range = new ReportRange(new DateOnly(2026, 3, 29), new DateOnly(2026, 3, 29), Berlin);
        Assert.Equal(DateTimeOffset.Parse("2026-03-28T23:00:00Z"), range.Start);
        Assert.Equal(TimeSpan.FromHours(23), range.End - range.Start);
        Assert.Null(ReportRange.FindZone("Mars/Olympus"));
    }

    [Fact]
    public void The_report_puts_each_day_in_its_slot_and_the_invoice_rounds_each_line_to_the_cent()
    {
        var range = new ReportRange(new DateOnly(2026, 10, 1), new DateOnly(2026, 10, 3), TimeZoneInfo.Utc);
        var report = SpendReport.Build(range, [("b", "Beta"), ("a", "Alpha")],
        [
            new DailyCost("a", new DateOnly(2026, 10, 1), "compute", 1.005m),
            new DailyCost("a", new DateOnly(2026, 10, 3), "compute", 2.0m),
            new DailyCost("b", new DateOnly(2026, 10, 2), "storage", 0.004m),
        ], []);
        Assert.Equal(["a", "b"], report.Projects.Select(p => p.Project));
        Assert.Equal([1.005m, 0m, 2.0m], report.Projects[0].Daily);
        Assert.Equal(3.009m, report.Total);
        Assert.Equal([new InvoiceLine("a", "Alpha", "compute", 3.01m), new InvoiceLine("b", "Beta", "storage", 0.00m)], report.InvoiceLines());
    }
}
