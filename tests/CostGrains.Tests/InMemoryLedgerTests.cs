using CostGrains.Ledger;

namespace CostGrains.Tests;

public sealed class InMemoryLedgerTests
{
    private static LedgerEvent E(string id, string project, decimal amount, int partitions = 4)
    {
        var target = new TargetRef(TargetKind.Project, "acme", project);
        return new LedgerEvent("acme", id, TargetKind.Project, project, LedgerPartitioning.PartitionOf(target, partitions),
            DateTimeOffset.UnixEpoch, null, null, null, null, amount, "USD", "compute", null, null);
    }

    [Fact]
    public async Task Duplicate_ids_are_stored_once_first_write_wins()
    {
        var ledger = new InMemoryLedger(4);
        var first = await ledger.AppendAsync([E("a", "web", 1m), E("b", "web", 2m), E("a", "web", 99m)], CancellationToken.None);
        Assert.Equal([true, true, false], first.Inserted);
        var again = await ledger.AppendAsync([E("b", "web", 5m), E("c", "web", 3m)], CancellationToken.None);
        Assert.Equal(1, again.Accepted);
        Assert.Equal(1, again.Duplicates);
        var sum = Assert.Single(await ledger.SumByTargetAsync("acme", CancellationToken.None));
        Assert.Equal(6m, sum.Total);
        Assert.Equal(3, sum.EventCount);
    }

    [Fact]
    public async Task Partition_reads_resume_after_a_sequence_number_and_raise_the_signal()
    {
        var ledger = new InMemoryLedger(1);
        await ledger.AppendAsync(Enumerable.Range(0, 10).Select(i => E($"e{i}", $"p{i % 3}", i, 1)).ToList(), CancellationToken.None);
        Assert.True(ledger.Signal.TryConsume(0));
        Assert.False(ledger.Signal.TryConsume(0));
        var page = await ledger.ReadPartitionAsync(0, 4, 3, CancellationToken.None);
        Assert.Equal([5L, 6L, 7L], page.Select(r => r.Record.Seq));
        var target = await ledger.ReadTargetAsync(new TargetRef(TargetKind.Project, "acme", "p1"), 4, 100, CancellationToken.None);
        Assert.Equal([5L, 8L], target.Select(r => r.Seq));
    }
}
