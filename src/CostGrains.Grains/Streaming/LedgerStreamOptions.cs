namespace CostGrains.Streaming;

/// <summary>How the stream receivers read the ledger.</summary>
public sealed class LedgerStreamOptions
{
    /// <summary>Rows read per ledger query. Default 2,000.</summary>
    public int ReadBatchSize { get; set; } = 2_000;

    /// <summary>
    /// How often a receiver queries its partition when no wake-up signal arrived (the fallback
    /// when a NOTIFY was missed). Default 1 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a receiver records how far it has delivered. Default 1 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the pulling agent asks its receiver for rows. Default 10 ms.</summary>
    public TimeSpan PullPeriod { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Containers each partition's cache holds before the receiver stops reading ahead. Default 8,192.</summary>
    public int CacheSize { get; set; } = 8_192;

    /// <summary>Containers handed to a grain in one delivery. Default 500.</summary>
    public int DeliveryBatchSize { get; set; } = 500;
}
