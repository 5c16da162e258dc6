using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>
/// Reads one ledger partition in sequence order, from the last delivered checkpoint. It never
/// deletes: the ledger is retained. The checkpoint advances only for rows the cache reports as
/// delivered, so a receiver that moves to another silo re-reads at most what was in flight —
/// and the grains skip those rows by their watermark.
/// </summary>
internal sealed class LedgerQueueReceiver(
    ILedger ledger, int partition, LedgerStreamOptions options, ILogger logger) : IQueueAdapterReceiver
{
    private static readonly IList<IBatchContainer> Nothing = Array.Empty<IBatchContainer>();

    // Beyond this many aggregates the map starts over; aggregates then see PrevSeq 0 once and check the ledger.
    private const int MaxTracked = 1_000_000;

    private readonly Dictionary<TargetRef, long> _lastDelivered = [];

    private long _readPosition;
    private long _delivered;
    private long _checkpointed;
    private long _lastReadTicks;
    private long _lastCheckpointTicks;
    private long _lastErrorTicks;

    public async Task Initialize(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        _readPosition = _delivered = _checkpointed = await ledger.ReadCheckpointAsync(partition, cts.Token);
        ledger.Signal.Raise(partition);
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        var now = Environment.TickCount64;
        var signalled = ledger.Signal.TryConsume(partition);
        if (maxCount == 0 || (!signalled && now - _lastReadTicks < options.PollInterval.TotalMilliseconds))
        {
            if (maxCount == 0 && signalled)
            {
                ledger.Signal.Raise(partition); // the cache is full; read once it drains
            }

            await MaybeCheckpoint(now);
            return Nothing;
        }

        _lastReadTicks = now;
        var limit = maxCount < 0 ? options.ReadBatchSize : Math.Min(maxCount, options.ReadBatchSize);
        IReadOnlyList<LedgerRow> rows;
        try
        {
            rows = await ledger.ReadPartitionAsync(partition, _readPosition, limit, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (now - _lastErrorTicks > 10_000)
            {
                _lastErrorTicks = now;
                logger.LogWarning(ex, "Reading ledger partition {Partition} after seq {Seq} failed; retrying", partition, _readPosition);
            }

            ledger.Signal.Raise(partition);
            return Nothing;
        }

        if (rows.Count == 0)
        {
            await MaybeCheckpoint(now);
            return Nothing;
        }

        if (rows.Count == limit)
        {
            ledger.Signal.Raise(partition); // there is more: read again on the next pull
        }

        _readPosition = rows[^1].Record.Seq;
        return Group(rows);
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages)
    {
        // The cache purges in the order it was filled: once a page's last container is gone, every
        // row of that page (and of all earlier pages) has been delivered.
        foreach (var message in messages)
        {
            _delivered = Math.Max(_delivered, ((LedgerBatchContainer)message).PageEnd);
        }

        return Task.CompletedTask;
    }

    public async Task Shutdown(TimeSpan timeout) => await MaybeCheckpoint(long.MaxValue);

    private async Task MaybeCheckpoint(long now)
    {
        if (_delivered <= _checkpointed || now - _lastCheckpointTicks < options.CheckpointInterval.TotalMilliseconds)
        {
            return;
        }

        _lastCheckpointTicks = now == long.MaxValue ? Environment.TickCount64 : now;
        try
        {
            var delivered = _delivered;
            await ledger.WriteCheckpointAsync(partition, delivered, CancellationToken.None);
            _checkpointed = delivered;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Writing the stream checkpoint of partition {Partition} failed", partition);
        }
    }

    // All rows of one aggregate in the page travel in one container: far fewer cache entries and
    // grain calls than one per row. Containers are ordered by their first row, so tokens still rise
    // through the cache; per aggregate, rows stay in sequence order, which is all a grain needs.
    private List<IBatchContainer> Group(IReadOnlyList<LedgerRow> rows)
    {
        var byTarget = new Dictionary<TargetRef, List<UsageRecord>>();
        var order = new List<TargetRef>();
        foreach (var row in rows)
        {
            if (!byTarget.TryGetValue(row.Target, out var records))
            {
                byTarget[row.Target] = records = [];
                order.Add(row.Target);
            }

            records.Add(row.Record);
        }

        if (_lastDelivered.Count > MaxTracked)
        {
            _lastDelivered.Clear();
        }

        var containers = new List<IBatchContainer>(order.Count);
        for (var i = 0; i < order.Count; i++)
        {
            var target = order[i];
            var records = byTarget[target];
            var pageEnd = i == order.Count - 1 ? rows[^1].Record.Seq : 0;
            var prevSeq = _lastDelivered.GetValueOrDefault(target);
            _lastDelivered[target] = records[^1].Seq;
            containers.Add(new LedgerBatchContainer(StreamId.Create(target.StreamNamespace, target.GrainKey), records.ToArray(), pageEnd, prevSeq));
        }

        return containers;
    }
}
