using CostGrains.Realtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace CostGrains.Tests;

public sealed class LiveUpdatesTests
{
    private static BurnUpdate Burn(string key, decimal total) => new(TargetKind.Project, "acme", key, 0m, total, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Each_aggregate_goes_at_most_once_per_interval_and_its_last_update_always_goes()
    {
        using var live = new LiveUpdates(null!, NullLogger<LiveUpdates>.Instance);
        live.Post(Burn("a", 1m));
        Assert.Equal([1m], live.TakeDue(nowMs: 1_000).Select(u => u.Total));

        live.Post(Burn("a", 2m));
        live.Post(Burn("a", 3m));
        live.Post(Burn("b", 7m));
        Assert.Equal([7m], live.TakeDue(nowMs: 1_100).Select(u => u.Total)); // b is new; a waits
        Assert.Empty(live.TakeDue(nowMs: 1_200));
        Assert.Equal([3m], live.TakeDue(nowMs: 1_250).Select(u => u.Total)); // the newest of a, once
        Assert.Empty(live.TakeDue(nowMs: 5_000)); // idle: nothing
    }
}
