namespace CostGrains;

/// <summary>
/// A stored usage event as an aggregate sees it: its position in the ledger partition
/// (<see cref="Seq"/>) and the amount it was rated at when it was stored.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UsageRecord(
    [property: Id(0)] long Seq,
    [property: Id(1)] string Id,
    [property: Id(2)] DateTimeOffset Time,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] string Category,
    [property: Id(5)] string? Sku,
    [property: Id(6)] decimal? Quantity,
    [property: Id(7)] string? Resource,
    [property: Id(8)] ResourceChange? Change = null)
{
    /// <summary>Billed usage (not a resource state report).</summary>
    public bool IsUsage => Change is null;
}

/// <summary>What an aggregate grain reports about itself; served from memory.</summary>
[GenerateSerializer, Immutable]
public sealed record AggregateSnapshot(
    [property: Id(0)] TargetKind Kind,
    [property: Id(1)] string Org,
    [property: Id(2)] string Key,
    [property: Id(3)] string Unit,
    [property: Id(4)] decimal Total,
    [property: Id(5)] IReadOnlyDictionary<string, decimal> ByCategory,
    [property: Id(6)] long EventCount,
    [property: Id(7)] long Watermark,
    [property: Id(8)] DateTimeOffset? FirstEventAt,
    [property: Id(9)] DateTimeOffset? LastEventAt,
    [property: Id(10)] decimal BurnPerHour,
    [property: Id(11)] string Name,
    [property: Id(12)] bool Archived,
    [property: Id(13)] int InstanceCount,
    [property: Id(14)] BudgetStatus? Budget = null)
{
    public decimal CategoryTotal(string category) => ByCategory.TryGetValue(category, out var v) ? v : 0m;
}
