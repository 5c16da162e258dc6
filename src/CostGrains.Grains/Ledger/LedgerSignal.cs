namespace CostGrains.Ledger;

/// <summary>
/// Per-partition "new rows may be there" flags. The ledger raises them after a commit (and the
/// PostgreSQL listener on a NOTIFY from another node); stream receivers consume them so that they
/// query the ledger only when there is something to read.
/// </summary>
public sealed class LedgerSignal(int partitions)
{
    private readonly int[] _dirty = new int[partitions];

    public void Raise(int partition) => Volatile.Write(ref _dirty[partition], 1);

    public void Raise(IEnumerable<int> partitions)
    {
        foreach (var p in partitions)
        {
            Raise(p);
        }
    }

    public void RaiseAll()
    {
        for (var p = 0; p < _dirty.Length; p++)
        {
            Raise(p);
        }
    }

    /// <summary>True (and clears the flag) when the partition was raised since the last call.</summary>
    public bool TryConsume(int partition) => Interlocked.Exchange(ref _dirty[partition], 0) == 1;
}
