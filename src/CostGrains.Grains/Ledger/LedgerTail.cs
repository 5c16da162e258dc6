namespace CostGrains.Ledger;

/// <summary>
/// The rows this node committed most recently, per partition, in sequence order — so the stream
/// reader on the same node takes them from memory instead of reading back from the database what it
/// just wrote. Rows appear here only after their commit. A read is served only when the tail holds
/// the very next sequence number and only while the numbers stay contiguous; anything else (rows
/// another node committed, a tail that was trimmed) falls back to the database, so nothing is skipped.
/// </summary>
public sealed class LedgerTail
{
    private readonly Partition[] _partitions;
    private readonly int _capacity;
    private long _served;

    public LedgerTail(int partitions, int capacityPerPartition)
    {
        _capacity = capacityPerPartition;
        _partitions = Enumerable.Range(0, partitions).Select(_ => new Partition()).ToArray();
    }

    /// <summary>Rows read from memory so far (observability and tests).</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Adds committed rows of one partition, in ascending sequence order.</summary>
    public void Publish(int partition, IReadOnlyList<LedgerRow> rows)
    {
        var p = _partitions[partition];
        lock (p.Gate)
        {
            foreach (var row in rows)
            {
                if (p.Rows.Count > 0 && row.Record.Seq <= p.Rows[^1].Record.Seq)
                {
                    // Out of order can only mean the tail is stale: start over from these rows.
                    p.Rows.Clear();
                }

                p.Rows.Add(row);
            }

            if (p.Rows.Count > _capacity)
            {
                p.Rows.RemoveRange(0, p.Rows.Count - _capacity);
            }
        }
    }

    /// <summary>
    /// The contiguous rows after <paramref name="afterSeq"/> (at most <paramref name="limit"/>), or
    /// null when the tail does not start right after it. Rows at or below <paramref name="afterSeq"/>
    /// are dropped: the partition's reader has them.
    /// </summary>
    public List<LedgerRow>? TryRead(int partition, long afterSeq, int limit)
    {
        var p = _partitions[partition];
        lock (p.Gate)
        {
            var stale = 0;
            while (stale < p.Rows.Count && p.Rows[stale].Record.Seq <= afterSeq)
            {
                stale++;
            }

            p.Rows.RemoveRange(0, stale);
            if (p.Rows.Count == 0 || p.Rows[0].Record.Seq != afterSeq + 1)
            {
                return null;
            }

            var take = 1;
            while (take < limit && take < p.Rows.Count && p.Rows[take].Record.Seq == p.Rows[take - 1].Record.Seq + 1)
            {
                take++;
            }

            var page = p.Rows.GetRange(0, take);
            Interlocked.Add(ref _served, take);
            return page;
        }
    }

    private sealed class Partition
    {
        public readonly Lock Gate = new();
        public readonly List<LedgerRow> Rows = [];
    }
}
