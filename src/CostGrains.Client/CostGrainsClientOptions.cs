namespace CostGrains.Client;

/// <summary>Where and how a metering agent sends usage.</summary>
public sealed class CostGrainsClientOptions
{
    public required Uri BaseAddress { get; init; }

    /// <summary>A key with role <c>ingest</c> (or <c>admin</c>).</summary>
    public required string ApiKey { get; init; }

    /// <summary>For the platform administrator's key: the organization to send to.</summary>
    public string? Organization { get; init; }

    /// <summary>Events per request; at most 10,000. Default 1,000.</summary>
    public int MaxBatchSize { get; init; } = 1_000;

    /// <summary>A partly filled batch is sent after this long. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Events held in memory before <see cref="CostGrainsClient.EnqueueAsync"/> waits. Default 100,000.</summary>
    public int MaxBufferedEvents { get; init; } = 100_000;

    /// <summary>Requests in flight at once from the buffer. Default 4.</summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>First retry delay; doubles up to <see cref="MaxBackoff"/>, with jitter. Default 100 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A request that takes longer is abandoned and retried. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a batch is retried before it is given up. Default 10 minutes.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(10);
}
