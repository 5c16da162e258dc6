using System.Text;

namespace CostGrains.Ledger;

/// <summary>
/// Maps an aggregate to its ledger partition. The ledger writer and the stream queue mapper both
/// use this function, so a partition's rows are exactly the events its stream queue delivers.
/// </summary>
public static class LedgerPartitioning
{
    public const int DefaultPartitions = 16;

    public static int PartitionOf(TargetRef target, int partitions) =>
        (int)(Fnv1a($"{(int)target.Kind}|{target.Org}/{target.Key}") % (uint)partitions);

    /// <summary>A stable bucket of a text among <paramref name="buckets"/> (the same on every node and version).</summary>
    public static int BucketOf(string text, int buckets) => (int)(Fnv1a(text) % (uint)buckets);

    // FNV-1a: stable across processes and runtime versions (string.GetHashCode is not).
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(text.Length, 512))];
        var bytes = text.Length <= 512 ? buffer[..Encoding.UTF8.GetBytes(text, buffer)] : Encoding.UTF8.GetBytes(text);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
