namespace CostGrains.Streaming;

/// <summary>
/// What the ledger stream hands an aggregate: a run of its rows in sequence order, and the
/// sequence number of its row the same receiver delivered just before (0 when the receiver has not
/// delivered one since it started). An aggregate whose watermark is behind <see cref="PrevSeq"/>
/// missed a delivery and replays the gap from the ledger before applying.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UsageDelivery([property: Id(0)] long PrevSeq, [property: Id(1)] UsageRecord[] Records);
