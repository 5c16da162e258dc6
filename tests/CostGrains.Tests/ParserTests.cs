using System.Text.Json;
using CostGrains.Ingest;

namespace CostGrains.Tests;

public sealed class ParserTests
{
    [Theory]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","amount":1}""")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00.123456+05:30","end":"2026-06-02T01:00:00+05:30","workspace":"w-1","sku":"x","quantity":0,"resource":"i-123","dimensions":{"agentType":"slurm","job":42}}""")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","allocation":"hpc:2026","amount":-5,"category":"credit"}""")]
    public void Valid_events_parse(string json) => Assert.NotNull(Parse(json, out var errors));

    [Theory]
    [InlineData("""{"time":"2026-06-02T00:00:00Z","project":"web","amount":1}""", "id")]
    [InlineData("""{"id":"","time":"2026-06-02T00:00:00Z","project":"web","amount":1}""", "id")]
    [InlineData("""{"id":7,"time":"2026-06-02T00:00:00Z","project":"web","amount":1}""", "id")]
    [InlineData("""{"id":"a","time":"2026-06-02","project":"web","amount":1}""", "time")]
    [InlineData("""{"id":"a","time":"2026-13-02T00:00:00Z","project":"web","amount":1}""", "time")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"","amount":1}""", "project")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","workspace":"-x","amount":1}""", "workspace")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","sku":"x","quantity":"3"}""", "quantity")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","amount":1,"category":"has space"}""", "category")]
    [InlineData("""{"id":"a","time":"2026-06-02T00:00:00Z","project":"web","amount":1,"dimensions":[1]}""", "dimensions")]
    public void Invalid_events_name_the_field(string json, string field)
    {
        Assert.Null(Parse(json, out var errors));
        Assert.Contains(errors, e => e.Field == field && e.Index == 3);
    }

    [Theory]
    [InlineData("2026-06-02T00:00:00Z")]
    [InlineData("2026-06-02T00:00:00.5Z")]
    [InlineData("2026-06-02T00:00:00.1234567Z")]
    [InlineData("2026-06-02T00:00:00.123456789Z")]
    [InlineData("2026-06-02T23:59:59.999+05:30")]
    [InlineData("2026-06-02t10:00:00z")]
    [InlineData("2026-06-02 10:00:00-08:00")]
    [InlineData("2026-03-08T02:30:00-05:00")]
    public void Times_parse_to_the_instant_and_offset_they_name(string time)
    {
        var parsed = Parse($$"""{"id":"a","time":"{{time}}","project":"web","amount":1}""", out var errors);
        Assert.Empty(errors);
        // Digits beyond the 100 ns tick are cut, not rounded: a time never moves forward.
        var ticks = System.Text.RegularExpressions.Regex.Replace(time, @"(\.\d{7})\d+", "$1");
        var expected = DateTimeOffset.Parse(ticks, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, parsed!.Time);
        Assert.Equal(expected.Offset, parsed.Time.Offset);
    }

    [Fact]
    public void Every_problem_of_an_event_is_reported()
    {
        Assert.Null(Parse("""{"time":"soon","quantity":-1,"sku":"x"}""", out var errors));
        Assert.Equal(["id", "time", "project", "quantity"], errors.Select(e => e.Field).ToArray());
    }

    private static ParsedUsageEvent? Parse(string json, out List<IngestError> errors)
    {
        errors = [];
        using var doc = JsonDocument.Parse(json);
        return UsageEventParser.Parse(3, doc.RootElement, errors);
    }
}
