using System.Globalization;

namespace CostGrains.Reports;

/// <summary>
/// A report's date range: calendar days <see cref="From"/> to <see cref="To"/> (both included) in
/// <see cref="TimeZone"/>, and the UTC instants they span. Days begin at local midnight, so a day
/// across a daylight-saving change is 23 or 25 hours long.
/// </summary>
public sealed record ReportRange(DateOnly From, DateOnly To, TimeZoneInfo TimeZone)
{
    public const int MaxDays = 400;

    public static readonly IReadOnlyList<string> Presets =
        ["this-month", "previous-month", "last-3-months", "last-6-months", "last-12-months"];

    public DateTimeOffset Start => StartOf(From);

    /// <summary>The instant the day after <see cref="To"/> begins (exclusive end).</summary>
    public DateTimeOffset End => StartOf(To.AddDays(1));

    public IEnumerable<DateOnly> Days()
    {
        for (var day = From; day <= To; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    public DateTimeOffset StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // A midnight skipped by a daylight-saving change starts at the first valid instant after it.
        while (TimeZone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        return new DateTimeOffset(local, TimeZone.GetUtcOffset(local)).ToUniversalTime();
    }

    public static DateOnly Today(TimeZoneInfo zone, DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);

    /// <summary>
    /// A preset relative to today in the zone: this-month (the 1st to today), previous-month (all of
    /// it), last-N-months (the 1st of the month N − 1 months back to today).
    /// </summary>
    public static ReportRange? FromPreset(string preset, TimeZoneInfo zone, DateTimeOffset now)
    {
        var today = Today(zone, now);
        var monthStart = new DateOnly(today.Year, today.Month, 1);
        return preset switch
        {
            "this-month" => new ReportRange(monthStart, today, zone),
            "previous-month" => new ReportRange(monthStart.AddMonths(-1), monthStart.AddDays(-1), zone),
            "last-3-months" => new ReportRange(monthStart.AddMonths(-2), today, zone),
            "last-6-months" => new ReportRange(monthStart.AddMonths(-5), today, zone),
            "last-12-months" => new ReportRange(monthStart.AddMonths(-11), today, zone),
            _ => null,
        };
    }

    /// <summary>The calendar month "yyyy-MM" as a range.</summary>
    public static bool TryParseMonth(string? text, TimeZoneInfo zone, out ReportRange range)
    {
        range = null!;
        if (text is null || !DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first))
        {
            return false;
        }

        range = new ReportRange(first, first.AddMonths(1).AddDays(-1), zone);
        return true;
    }

    /// <summary>An IANA time zone id (the ids PostgreSQL knows too); null when unknown.</summary>
    public static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrEmpty(id) || !TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) || !zone.HasIanaId)
        {
            return null;
        }

        return zone;
    }
}
