using CostGrains.Aggregates;
using CostGrains.Ledger;
using CostGrains.Streaming;
using Orleans.Runtime;

namespace CostGrains.Tests;

public sealed class AggregateTests
{
    private static UsageRecord R(long seq, decimal amount, string category = "compute", string time = "2026-05-01T00:00:00Z") =>
        new(seq, $"e{seq}", DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture), amount, category, null, null, null);

    [Fact]
    public void Records_at_or_below_the_watermark_are_skipped()
    {
        var totals = new UsageTotals();
        Assert.True(totals.Apply(R(5, 1m)));
        Assert.False(totals.Apply(R(5, 1m)));
        Assert.False(totals.Apply(R(3, 100m)));
        Assert.True(totals.Apply(R(9, 2m, "storage")));
        Assert.Equal(3m, totals.Total);
        Assert.Equal(2, totals.EventCount);
        Assert.Equal(9, totals.Watermark);
        Assert.Equal(1m, totals.ByCategory["compute"]);
        Assert.Equal(2m, totals.ByCategory["storage"]);
    }

    [Fact]
    public void Replaying_any_prefix_again_leaves_the_totals_unchanged()
    {
        var records = Enumerable.Range(1, 100).Select(i => R(i * 3, 0.01m * i)).ToList();
        var once = new UsageTotals();
        records.ForEach(r => once.Apply(r));
        var twice = new UsageTotals();
        records.Take(60).ToList().ForEach(r => twice.Apply(r));
        records.ForEach(r => twice.Apply(r));
        Assert.Equal(once.Total, twice.Total);
        Assert.Equal(once.EventCount, twice.EventCount);
        Assert.Equal(records.Sum(r => r.Amount), once.Total);
    }

    [Fact]
    public void First_and_last_event_times_follow_event_time_not_arrival()
    {
        var totals = new UsageTotals();
        totals.Apply(R(1, 1m, time: "2026-05-03T00:00:00Z"));
        totals.Apply(R(2, 1m, time: "2026-05-01T00:00:00Z"));
        totals.Apply(R(3, 1m, time: "2026-05-02T00:00:00Z"));
        Assert.Equal(DateTimeOffset.Parse("2026-05-01T00:00:00Z"), totals.FirstEventAt);
        Assert.Equal(DateTimeOffset.Parse("2026-05-03T00:00:00Z"), totals.LastEventAt);
    }

    [Theory]
    [InlineData(10, 10, true, false)]   // the chain continues from the watermark
    [InlineData(10, 7, true, false)]    // the receiver's previous row was already included
    [InlineData(10, 12, true, true)]    // row 12 was delivered by the receiver but never applied
    [InlineData(10, 0, true, true)]     // receiver restarted while we were being fed: cannot rule out a gap
    [InlineData(10, 0, false, false)]   // first delivery after activation: the activation replay covered it
    public void A_gap_in_the_delivery_chain_is_detected(long watermark, long prevSeq, bool fedSinceActivation, bool missed)
    {
        var totals = new UsageTotals { Watermark = watermark };
        var delivery = new UsageDelivery(prevSeq, [R(20, 1m), R(25, 1m)]);
        Assert.Equal(missed, totals.MayHaveMissed(delivery, fedSinceActivation));
    }

    [Fact]
    public void A_delivery_already_included_never_needs_a_replay() =>
        Assert.False(new UsageTotals { Watermark = 30 }.MayHaveMissed(new UsageDelivery(28, [R(29, 1m)]), fedSinceActivation: true));

    [Fact]
    public void Queue_mapper_sends_each_stream_to_its_ledger_partition()
    {
        var mapper = new LedgerQueueMapper("ledger", 16);
        Assert.Equal(16, mapper.GetAllQueues().Distinct().Count());
        foreach (var kind in Enum.GetValues<TargetKind>())
        {
            for (var i = 0; i < 200; i++)
            {
                var target = new TargetRef(kind, "acme", $"k{i}");
                var queue = mapper.GetQueueForStream(StreamId.Create(target.StreamNamespace, target.GrainKey));
                Assert.Equal(LedgerPartitioning.PartitionOf(target, 16), LedgerQueueMapper.PartitionOf(queue));
            }
        }
    }

    [Fact]
    public void Partitioning_is_stable_and_spreads_targets()
    {
        // Fixed values: a change here would move existing aggregates to other partitions.
        Assert.Equal(LedgerPartitioning.PartitionOf(new TargetRef(TargetKind.Project, "acme", "web"), 16),
            LedgerPartitioning.PartitionOf(new TargetRef(TargetKind.Project, "acme", "web"), 16));
        var counts = Enumerable.Range(0, 16_000)
            .GroupBy(i => LedgerPartitioning.PartitionOf(new TargetRef(TargetKind.Project, "acme", $"p{i}"), 16))
            .Select(g => g.Count()).ToList();
        Assert.Equal(16, counts.Count);
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }
}
