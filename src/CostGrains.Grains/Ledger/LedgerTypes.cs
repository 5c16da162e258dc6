namespace CostGrains.Ledger;

/// <summary>
/// A validated, rated usage event ready to be appended. The rated <see cref="Amount"/>, the
/// <see cref="Price"/> used and the attribution are snapshots: later price changes never touch them.
/// </summary>
public sealed record LedgerEvent(
    string Org,
    string Id,
    TargetKind Kind,
    string Target,
    int Partition,
    DateTimeOffset Time,
    DateTimeOffset? End,
    string? Sku,
    decimal? Quantity,
    decimal? Price,
    decimal Amount,
    string Unit,
    string Category,
    string? Resource,
    string? DimensionsJson)
{
    public TargetRef TargetRef => new(Kind, Org, Target);
}

/// <summary>One row read back from a ledger partition, in sequence order.</summary>
public readonly record struct LedgerRow(TargetRef Target, UsageRecord Record);

/// <summary>Which events of an append were stored (true) and which were already there (false).</summary>
public sealed record AppendResult(bool[] Inserted)
{
    public int Accepted => Inserted.Count(static x => x);

    public int Duplicates => Inserted.Length - Accepted;
}

/// <summary>The ledger's own totals for one aggregate: the reference a grain must equal.</summary>
public sealed record TargetSum(TargetRef Target, decimal Total, long EventCount, long MaxSeq);

/// <summary>An aggregate known to the ledger (created on first use).</summary>
public sealed record TargetEntry(TargetRef Target, string Unit, DateTimeOffset FirstSeenAt);
