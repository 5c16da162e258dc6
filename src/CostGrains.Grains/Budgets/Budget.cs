using System.Globalization;

namespace CostGrains.Budgets;

/// <summary>A threshold crossed: announced once per threshold per period.</summary>
[GenerateSerializer, Immutable]
public sealed record BudgetCrossing(
    [property: Id(0)] string Period,
    [property: Id(1)] decimal Threshold,
    [property: Id(2)] decimal Used,
    [property: Id(3)] decimal PercentUsed,
    [property: Id(4)] string TriggeringEventId);

/// <summary>
/// The budget engine every aggregate uses: usage per period and which thresholds have been
/// announced. Applying usage returns the thresholds it crossed that were not announced yet; the
/// caller persists <see cref="Fired"/> before announcing, so restarts and replays never repeat one.
/// </summary>
[GenerateSerializer]
public sealed class BudgetTracker
{
    [Id(0)] public BudgetPolicy? Policy { get; set; }

    [Id(1)] public Dictionary<string, decimal> UsageByPeriod { get; set; } = new(StringComparer.Ordinal);

    /// <summary>"{period}|{threshold}" of every crossing already announced.</summary>
    [Id(2)] public HashSet<string> Fired { get; set; } = new(StringComparer.Ordinal);

    public static string State(decimal percentUsed) => percentUsed >= 100m ? "red" : percentUsed >= 80m ? "yellow" : "green";

    public decimal Used(string period) => UsageByPeriod.GetValueOrDefault(period);

    public decimal PercentUsed(string period) =>
        Policy is { Limit: > 0 } p ? Math.Round(Used(period) / p.Limit * 100m, 4) : 0m;

    /// <summary>Counts usage whatever the policy, so a budget set later sees the period so far.</summary>
    public void Count(UsageRecord record)
    {
        foreach (var period in PeriodsOf(record.Time))
        {
            UsageByPeriod[period] = UsageByPeriod.GetValueOrDefault(period) + record.Amount;
        }
    }

    /// <summary>Thresholds now crossed in the period of <paramref name="record"/> that were not announced.</summary>
    public List<BudgetCrossing> NewCrossings(UsageRecord record)
    {
        var crossings = new List<BudgetCrossing>();
        if (Policy is not { Limit: > 0 } policy)
        {
            return crossings;
        }

        var period = policy.PeriodOf(record.Time);
        var percent = PercentUsed(period);
        foreach (var threshold in policy.Thresholds.Order())
        {
            if (percent >= threshold && !Fired.Contains(Key(period, threshold)))
            {
                crossings.Add(new BudgetCrossing(period, threshold, Used(period), percent, record.Id));
            }
        }

        return crossings;
    }

    public void MarkFired(BudgetCrossing crossing) => Fired.Add(Key(crossing.Period, crossing.Threshold));

    private static string Key(string period, decimal threshold) => $"{period}|{Text(threshold)}";

    /// <summary>
    /// A threshold as text that does not depend on the decimal's scale: 50, 50.0 and 50.00 are one
    /// threshold, and serialization may change the scale (equality ignores it, ToString does not).
    /// </summary>
    public static string Text(decimal threshold) => threshold.ToString("0.############", CultureInfo.InvariantCulture);

    // Both views are kept so a policy can switch between monthly and lifetime without a replay.
    private static IEnumerable<string> PeriodsOf(DateTimeOffset time)
    {
        yield return "lifetime";
        yield return BudgetPolicy.MonthKey(time);
    }
}
