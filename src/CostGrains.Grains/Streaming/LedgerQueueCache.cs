using Orleans.Runtime;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>
/// The pulling agent's cache for one ledger partition, indexed by stream. Each cached container
/// links to the next container of its own stream, so a stream's cursor moves in O(1) and never
/// looks at other streams' rows (a shared list walked per cursor costs streams × rows). Containers
/// leave the cache oldest first, and only once their stream's cursor has moved past them — so
/// "purged" means "delivered", which the receiver's checkpoint relies on.
/// </summary>
internal sealed class LedgerQueueCache(int capacity) : IQueueCache
{
    private readonly LinkedList<Entry> _entries = new();
    private readonly Dictionary<StreamId, StreamState> _streams = [];

    public int Count => _entries.Count;

    public int GetMaxAddCount() => Math.Max(0, capacity - _entries.Count);

    public bool IsUnderPressure() => _entries.Count >= capacity;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        foreach (var message in messages)
        {
            var entry = new Entry((LedgerBatchContainer)message);
            if (!_streams.TryGetValue(message.StreamId, out var stream))
            {
                _streams[message.StreamId] = stream = new StreamState();
            }

            if (stream.Tail is { } tail)
            {
                tail.NextInStream = entry;
            }

            stream.Tail = entry;
            stream.Head ??= entry;
            _entries.AddLast(entry);
        }
    }

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        List<IBatchContainer>? purged = null;
        while (_entries.First is { Value.Delivered: true } node)
        {
            var entry = node.Value;
            _entries.RemoveFirst();
            (purged ??= []).Add(entry.Container);
            var stream = _streams[entry.Container.StreamId];
            stream.Head = entry.NextInStream;
            if (stream.Head is null && stream.Cursors == 0)
            {
                _streams.Remove(entry.Container.StreamId);
            }
        }

        purgedItems = purged!;
        return purged is not null;
    }

    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        if (!_streams.TryGetValue(streamId, out var stream))
        {
            _streams[streamId] = stream = new StreamState();
        }

        stream.Cursors++;
        return new Cursor(this, streamId, stream, token);
    }

    private void Release(StreamId streamId, StreamState stream)
    {
        if (--stream.Cursors == 0 && stream.Head is null)
        {
            _streams.Remove(streamId);
        }
    }

    private sealed class Entry(LedgerBatchContainer container)
    {
        public LedgerBatchContainer Container { get; } = container;

        public Entry? NextInStream { get; set; }

        public bool Delivered { get; set; }
    }

    private sealed class StreamState
    {
        /// <summary>Oldest cached container of the stream.</summary>
        public Entry? Head { get; set; }

        /// <summary>Newest container of the stream ever added (kept after purge to link the next one).</summary>
        public Entry? Tail { get; set; }

        public int Cursors { get; set; }
    }

    private sealed class Cursor(LedgerQueueCache cache, StreamId streamId, StreamState stream, StreamSequenceToken? start) : IQueueCacheCursor
    {
        private Entry? _last;
        private Entry? _current;
        private bool _disposed;

        public IBatchContainer GetCurrent(out Exception? exception)
        {
            exception = null;
            return _current?.Container!;
        }

        public QueueCacheCursorMoveResult MoveNextWithResult() =>
            Advance() ? QueueCacheCursorMoveResult.Success : QueueCacheCursorMoveResult.NoData;

        [Obsolete("Use MoveNextWithResult instead.")]
        public bool MoveNext() => Advance();

        private bool Advance()
        {
            if (_current is not null)
            {
                // The agent moves on only after handing the current container to the consumer.
                _current.Delivered = true;
                _last = _current;
                _current = null;
            }

            var next = _last is null ? First() : _last.NextInStream;
            if (next is null)
            {
                return false;
            }

            _current = next;
            return true;
        }

        public void Refresh(StreamSequenceToken token)
        {
            // Nothing to do: MoveNext follows the stream's links, which AddToCache extends.
        }

        public void RecordDeliveryFailure()
        {
            // The container still counts as handled: the grain rebuilds from the ledger on its next
            // activation, so a failed delivery must not hold the partition's checkpoint forever.
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                cache.Release(streamId, stream);
            }
        }

        private Entry? First()
        {
            var entry = stream.Head;
            while (entry is not null && (entry.Delivered || (start is not null && entry.Container.SequenceToken.Older(start))))
            {
                // Rows a previous cursor delivered, or older than where this one starts, are not its to deliver.
                entry.Delivered = true;
                entry = entry.NextInStream;
            }

            return entry;
        }
    }
}

/// <summary>Creates one <see cref="LedgerQueueCache"/> per partition.</summary>
internal sealed class LedgerQueueAdapterCache(int capacity) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) => new LedgerQueueCache(capacity);
}
