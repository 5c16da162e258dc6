namespace CostGrains.Aggregates;

/// <summary>How often an aggregate grain writes its totals and watermark to storage.</summary>
public sealed class AggregateOptions
{
    /// <summary>Write after this many unsaved events. Default 10,000.</summary>
    public int CheckpointEvents { get; set; } = 10_000;

    /// <summary>
    /// Write at most this long after the first unsaved event. Default 30 s: a crash costs a replay
    /// of at most this much of the aggregate's ledger rows, and busy aggregates write far less often.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Rows read per ledger query when an aggregate replays its tail. Default 5,000.</summary>
    public int ReplayPageSize { get; set; } = 5_000;
}
