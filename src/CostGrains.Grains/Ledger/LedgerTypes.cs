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
    string? DimensionsJson,
    ResourceChange? Change = null)
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

/// <summary>
/// A cost query over the ledger: an organization's targets of one kind (all of them when
/// <see cref="Targets"/> is null), billed usage with <c>From ≤ time &lt; To</c>, days counted in
/// <see cref="TimeZone"/> (an IANA id).
/// </summary>
public sealed record CostQuery(
    string Org,
    TargetKind Kind,
    IReadOnlyCollection<string>? Targets,
    DateTimeOffset From,
    DateTimeOffset To,
    string TimeZone = "UTC");

/// <summary>One target's billed cost of one category on one local day.</summary>
public sealed record DailyCost(string Target, DateOnly Day, string Category, decimal Amount);

/// <summary>One target's billed cost of one category on one resource.</summary>
public sealed record ResourceCost(string Target, string? Resource, string Category, decimal Amount);
