namespace CostGrains.Aggregates;

/// <summary>How often an aggregate grain writes its totals and watermark to storage.</summary>
public sealed class AggregateOptions
{
    /// <summary>Write after this many unsaved events. Default 1,000.</summary>
    public int CheckpointEvents { get; set; } = 1_000;

    /// <summary>Write at most this long after the first unsaved event. Default 5 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Rows read per ledger query when an aggregate replays its tail. Default 5,000.</summary>
    public int ReplayPageSize { get; set; } = 5_000;
}
