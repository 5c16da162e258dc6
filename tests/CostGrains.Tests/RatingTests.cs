using System.Text.Json;
using CostGrains.Ingest;

namespace CostGrains.Tests;

public sealed class RatingTests
{
    private static readonly Sku Vm = new("vm", "USD", "compute",
        [new SkuRate(T("2026-01-01T00:00:00Z"), 0.10m), new SkuRate(T("2026-06-01T00:00:00Z"), 0.20m)]);

    private static readonly Sku CoreHour = new("core-hour", "core-hours", "compute", [new SkuRate(T("2026-01-01T00:00:00Z"), 1m)]);

    private static readonly PriceCatalog Catalog = new("acme",
        new Dictionary<string, Sku> { ["vm"] = Vm, ["core-hour"] = CoreHour },
        new Dictionary<string, string> { ["hpc"] = "core-hours" }, 1);

    [Theory]
    [InlineData("2025-12-31T23:59:59Z", null)]
    [InlineData("2026-01-01T00:00:00Z", "0.10")]
    [InlineData("2026-05-31T23:59:59Z", "0.10")]
    [InlineData("2026-06-01T00:00:00Z", "0.20")]
    [InlineData("2026-06-01T01:00:00+02:00", "0.10")]
    [InlineData("2030-01-01T00:00:00Z", "0.20")]
    public void Price_in_force_is_the_last_rate_starting_at_or_before_the_time(string time, string? price) =>
        Assert.Equal(price is null ? null : decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), Vm.PriceAt(T(time)));

    [Fact]
    public void Event_is_rated_with_the_rate_in_force_at_its_time_and_keeps_it()
    {
        var errors = new List<IngestError>();
        var rated = UsageRater.Rate("acme", [Parse("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","sku":"vm","quantity":3}""")], Catalog, 16, errors);
        Assert.Empty(errors);
        var e = Assert.Single(rated);
        Assert.Equal(0.60m, e.Amount);
        Assert.Equal(0.20m, e.Price);
        Assert.Equal("compute", e.Category);
        Assert.Equal("USD", e.Unit);
    }

    [Fact]
    public void Given_amount_is_not_re_rated_and_category_defaults_from_the_sku()
    {
        var errors = new List<IngestError>();
        var e = Assert.Single(UsageRater.Rate("acme",
            [Parse("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","sku":"vm","amount":9.99}""")], Catalog, 16, errors));
        Assert.Equal(9.99m, e.Amount);
        Assert.Null(e.Price);
        Assert.Equal("compute", e.Category);
    }

    [Fact]
    public void Custom_unit_sku_on_an_allocation_of_that_unit_is_accepted_and_on_a_project_refused()
    {
        var errors = new List<IngestError>();
        var ok = UsageRater.Rate("acme", [Parse("""{"id":"a","time":"2026-06-02T00:00:00Z","allocation":"hpc","sku":"core-hour","quantity":128}""")], Catalog, 16, errors);
        Assert.Empty(errors);
        Assert.Equal("core-hours", Assert.Single(ok).Unit);

        UsageRater.Rate("acme", [Parse("""{"id":"b","time":"2026-06-02T00:00:00Z","project":"web","sku":"core-hour","quantity":1}""")], Catalog, 16, errors);
        var error = Assert.Single(errors);
        Assert.Equal("sku", error.Field);
        Assert.Contains("core-hours", error.Message);
    }

    [Fact]
    public void First_use_of_an_allocation_proposes_its_unit_and_a_conflicting_event_is_reported()
    {
        var errors = new List<IngestError>();
        var events = new[]
        {
            Parse("""{"id":"a","time":"2026-06-02T00:00:00Z","allocation":"new","sku":"core-hour","quantity":1}""", 0),
            Parse("""{"id":"b","time":"2026-06-02T00:00:00Z","allocation":"new","sku":"vm","quantity":1}""", 1),
        };
        var proposals = UsageRater.ProposeAllocationUnits(events, Catalog, errors);
        Assert.Equal("core-hours", proposals["new"]);
        Assert.Equal(1, Assert.Single(errors).Index);
    }

    [Fact]
    public void Quantity_times_price_keeps_every_decimal()
    {
        var catalog = Catalog with { Skus = new Dictionary<string, Sku> { ["tok"] = new("tok", "USD", "ai", [new SkuRate(T("2026-01-01T00:00:00Z"), 0.0000015m)]) } };
        var e = Assert.Single(UsageRater.Rate("acme",
            [Parse("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","sku":"tok","quantity":1234567}""")], catalog, 16, []));
        Assert.Equal(1.8518505m, e.Amount);
    }

    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static ParsedUsageEvent Parse(string json, int index = 0)
    {
        var errors = new List<IngestError>();
        using var doc = JsonDocument.Parse(json);
        var e = UsageEventParser.Parse(index, doc.RootElement, errors);
        Assert.Empty(errors);
        return e!;
    }
}
