using CostGrains.Budgets;

namespace CostGrains.Tests;

public sealed class BudgetTests
{
    private static UsageRecord R(string id, decimal amount, string time = "2026-11-10T00:00:00Z") =>
        new(1, id, DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture), amount, "compute", null, null, null);

    private static List<BudgetCrossing> Apply(BudgetTracker tracker, UsageRecord record)
    {
        tracker.Count(record);
        var crossings = tracker.NewCrossings(record);
        crossings.ForEach(tracker.MarkFired);
        return crossings;
    }

    [Fact]
    public void Each_threshold_fires_once_per_period_even_when_one_event_jumps_several()
    {
        var tracker = new BudgetTracker { Policy = new BudgetPolicy(100m, BudgetPeriod.Monthly, BudgetPolicy.DefaultThresholds) };
        Assert.Empty(Apply(tracker, R("a", 40m)));
        var jump = Apply(tracker, R("b", 45m));
        Assert.Equal([50m, 80m], jump.Select(c => c.Threshold));
        Assert.All(jump, c => Assert.Equal("2026-11", c.Period));
        Assert.Equal(85m, jump[0].PercentUsed);
        Assert.Equal("b", jump[0].TriggeringEventId);
        Assert.Empty(Apply(tracker, R("c", 5m)));
        Assert.Equal([100m], Apply(tracker, R("d", 20m)).Select(c => c.Threshold));
        Assert.Empty(Apply(tracker, R("e", 500m)));
    }

    [Fact]
    public void A_new_month_starts_again_and_a_late_event_counts_in_its_own_month()
    {
        var tracker = new BudgetTracker { Policy = new BudgetPolicy(10m, BudgetPeriod.Monthly, [100m]) };
        Assert.Single(Apply(tracker, R("nov", 10m)));
        Assert.Single(Apply(tracker, R("dec", 10m, "2026-12-01T00:00:00Z")));
        Assert.Empty(Apply(tracker, R("late", 1m, "2026-11-30T23:00:00Z")));
        Assert.Equal(11m, tracker.Used("2026-11"));
    }

    [Fact]
    public void Lifetime_budget_adds_every_month_and_state_follows_percent()
    {
        var tracker = new BudgetTracker { Policy = new BudgetPolicy(100m, BudgetPeriod.Lifetime, BudgetPolicy.DefaultThresholds) };
        Apply(tracker, R("a", 45m, "2026-01-01T00:00:00Z"));
        var crossed = Apply(tracker, R("b", 45m, "2026-06-01T00:00:00Z"));
        Assert.Equal([50m, 80m], crossed.Select(c => c.Threshold));
        Assert.Equal("lifetime", crossed[0].Period);
        Assert.Equal("yellow", BudgetTracker.State(tracker.PercentUsed("lifetime")));
        Assert.Equal("green", BudgetTracker.State(79.99m));
        Assert.Equal("red", BudgetTracker.State(100m));
    }

    [Fact]
    public void A_threshold_stays_fired_whatever_scale_its_decimal_comes_back_with()
    {
        var fired = new BudgetTracker { Policy = new BudgetPolicy(10m, BudgetPeriod.Monthly, [50m]) };
        Apply(fired, R("a", 6m));
        // Serialization may return 50 as 50.0: still the same threshold.
        var restored = new BudgetTracker { Policy = new BudgetPolicy(10m, BudgetPeriod.Monthly, [50.0m]), Fired = [.. fired.Fired] };
        Assert.Empty(Apply(restored, R("a", 6m)));
        Assert.Equal("50", BudgetTracker.Text(50.000m));
        Assert.Equal("0.5", BudgetTracker.Text(0.50m));
    }

    [Theory]
    [InlineData("2026-11-30T23:59:59Z", "2026-11")]
    [InlineData("2026-12-01T00:30:00+01:00", "2026-11")]
    [InlineData("0999-01-05T00:00:00Z", "0999-01")]
    public void Month_keys_are_the_utc_calendar_month(string time, string month) =>
        Assert.Equal(month, BudgetPolicy.MonthKey(DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void Replaying_after_a_restart_with_the_fired_set_announces_nothing_again()
    {
        var policy = new BudgetPolicy(10m, BudgetPeriod.Monthly, BudgetPolicy.DefaultThresholds);
        var before = new BudgetTracker { Policy = policy };
        Apply(before, R("a", 9m));
        var restored = new BudgetTracker { Policy = policy, Fired = [.. before.Fired] };
        Assert.Empty(Apply(restored, R("a", 9m)));
        Assert.Equal([100m], Apply(restored, R("b", 2m)).Select(c => c.Threshold));
    }
}
