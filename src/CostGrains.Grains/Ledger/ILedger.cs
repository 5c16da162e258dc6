namespace CostGrains.Ledger;

/// <summary>
/// The durable, append-only record of every usage event. Each event lives in the partition of its
/// target; within a partition, commit order equals <c>seq</c> order, so a reader that resumes after
/// a sequence number never skips an event. Implemented in memory (embedded mode) and in PostgreSQL.
/// </summary>
public interface ILedger
{
    /// <summary>The fixed number of partitions (stream queues).</summary>
    int Partitions { get; }

    /// <summary>Raised after a commit for each partition that received rows.</summary>
    LedgerSignal Signal { get; }

    /// <summary>
    /// Stores the new events in one transaction; returns only after the commit. An event whose
    /// organization + id is already stored (or repeats within the call) is not stored again.
    /// </summary>
    Task<AppendResult> AppendAsync(IReadOnlyList<LedgerEvent> events, CancellationToken cancellationToken);

    /// <summary>Rows of one partition with <c>seq &gt; afterSeq</c>, in sequence order.</summary>
    Task<IReadOnlyList<LedgerRow>> ReadPartitionAsync(int partition, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Records of one aggregate with <c>seq &gt; afterSeq</c>, in sequence order.</summary>
    Task<IReadOnlyList<UsageRecord>> ReadTargetAsync(TargetRef target, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>How far the stream reader of a partition has durably delivered.</summary>
    Task<long> ReadCheckpointAsync(int partition, CancellationToken cancellationToken);

    Task WriteCheckpointAsync(int partition, long seq, CancellationToken cancellationToken);

    /// <summary>The ledger's totals per aggregate of an organization: the reconciliation reference.</summary>
    Task<IReadOnlyList<TargetSum>> SumByTargetAsync(string org, CancellationToken cancellationToken);

    /// <summary>Creates the aggregate ahead of its first usage; false when it already exists.</summary>
    Task<bool> RegisterTargetAsync(TargetRef target, string unit, CancellationToken cancellationToken);

    /// <summary>The aggregate if it was ever used, else null.</summary>
    Task<TargetEntry?> GetTargetAsync(TargetRef target, CancellationToken cancellationToken);

    /// <summary>The aggregates of one kind that an organization has used.</summary>
    Task<IReadOnlyList<TargetEntry>> ListTargetsAsync(string org, TargetKind kind, CancellationToken cancellationToken);

    /// <summary>
    /// Billed cost of an organization's targets in [from, to), summed per target, calendar day in the
    /// query's time zone, and category: what reports and invoices are made of.
    /// </summary>
    Task<IReadOnlyList<DailyCost>> DailyCostAsync(CostQuery query, CancellationToken cancellationToken);

    /// <summary>Billed cost in [from, to) summed per target, resource (null when none was reported) and category.</summary>
    Task<IReadOnlyList<ResourceCost>> ResourceCostAsync(CostQuery query, CancellationToken cancellationToken);
}
