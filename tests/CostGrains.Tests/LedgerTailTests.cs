using CostGrains.Ledger;

namespace CostGrains.Tests;

public sealed class LedgerTailTests
{
    private static readonly TargetRef Target = new(TargetKind.Project, "acme", "web");

    private static List<LedgerRow> Rows(params long[] seqs) =>
        seqs.Select(s => new LedgerRow(Target, new UsageRecord(s, $"e{s}", DateTimeOffset.UnixEpoch, 1m, "compute", null, null, null))).ToList();

    private static long[] Seqs(IEnumerable<LedgerRow>? rows) => rows?.Select(r => r.Record.Seq).ToArray() ?? [];

    [Fact]
    public void Serves_only_a_contiguous_run_that_starts_right_after_the_reader()
    {
        var tail = new LedgerTail(partitions: 2, capacityPerPartition: 100);
        tail.Publish(0, Rows(4, 5, 6, 9, 10));
        Assert.Null(tail.TryRead(0, afterSeq: 2, limit: 10));        // seq 3 is not here (another node's row)
        Assert.Equal([4, 5, 6], Seqs(tail.TryRead(0, afterSeq: 3, limit: 10))); // stops at the gap before 9
        Assert.Null(tail.TryRead(0, afterSeq: 6, limit: 10));        // 7 and 8 come from the database
        Assert.Equal([9], Seqs(tail.TryRead(0, afterSeq: 8, limit: 1)));
        Assert.Equal([10], Seqs(tail.TryRead(0, afterSeq: 9, limit: 10)));
        Assert.Null(tail.TryRead(1, afterSeq: 0, limit: 10));
        Assert.Equal(5, tail.Served);
    }

    [Fact]
    public void Keeps_at_most_its_capacity_and_restarts_on_rows_older_than_its_last()
    {
        var tail = new LedgerTail(partitions: 1, capacityPerPartition: 3);
        tail.Publish(0, Rows(1, 2, 3, 4, 5));
        Assert.Null(tail.TryRead(0, afterSeq: 0, limit: 10)); // 1 and 2 were dropped
        Assert.Equal([3, 4, 5], Seqs(tail.TryRead(0, afterSeq: 2, limit: 10)));
        tail.Publish(0, Rows(2, 3));
        Assert.Equal([3], Seqs(tail.TryRead(0, afterSeq: 2, limit: 10)));
    }
}
