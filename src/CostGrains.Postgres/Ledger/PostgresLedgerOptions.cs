namespace CostGrains.Postgres.Ledger;

/// <summary>How the PostgreSQL ledger groups appends into transactions.</summary>
public sealed class PostgresLedgerOptions
{
    /// <summary>Number of ledger partitions (stream queues); fixed for the life of a database. Default 16.</summary>
    public int Partitions { get; set; } = CostGrains.Ledger.LedgerPartitioning.DefaultPartitions;

    /// <summary>
    /// Concurrent appends waiting together are committed in one transaction up to this many
    /// events (group commit). Default 20,000.
    /// </summary>
    public int MaxEventsPerTransaction { get; set; } = 20_000;

    /// <summary>
    /// Group-commit writers per node, each owning a share of the partitions, so their
    /// transactions never wait on each other's counter rows. Default 2.
    /// </summary>
    public int Writers { get; set; } = 2;

    /// <summary>
    /// Rows per partition this node keeps of what it committed, so its stream readers take them from
    /// memory instead of reading them back; 0 always reads from the database. Default 8,192.
    /// </summary>
    public int TailRowsPerPartition { get; set; } = 8_192;

    /// <summary>The LISTEN/NOTIFY channel that wakes stream receivers on every node.</summary>
    public string NotifyChannel { get; set; } = "cg_ledger";
}
