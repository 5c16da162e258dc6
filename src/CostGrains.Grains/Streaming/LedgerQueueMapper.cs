using CostGrains.Ledger;
using Orleans.Runtime;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>
/// One stream queue per ledger partition; a stream maps to the partition its aggregate's events
/// are written to (<see cref="LedgerPartitioning"/>), so a queue delivers exactly its partition.
/// </summary>
public sealed class LedgerQueueMapper : IConsistentRingStreamQueueMapper
{
    private readonly QueueId[] _queues;

    public LedgerQueueMapper(string providerName, int partitions)
    {
        _queues = new QueueId[partitions];
        for (var p = 0; p < partitions; p++)
        {
            // Spread the queues evenly over the hash ring so the balancer spreads them over silos.
            var ringHash = (uint)((ulong)p * uint.MaxValue / (ulong)partitions);
            _queues[p] = QueueId.GetQueueId(providerName, (uint)p, ringHash);
        }
    }

    public IEnumerable<QueueId> GetAllQueues() => _queues;

    public IEnumerable<QueueId> GetQueuesForRange(IRingRange range) =>
        _queues.Where(q => range.InRange(q.GetUniformHashCode()));

    public QueueId GetQueueForStream(StreamId streamId)
    {
        var kind = StreamNamespaces.KindOf(streamId.GetNamespace()!);
        var target = TargetRef.FromGrainKey(kind, streamId.GetKeyAsString());
        return _queues[LedgerPartitioning.PartitionOf(target, _queues.Length)];
    }

    public static int PartitionOf(QueueId queue) => (int)queue.GetNumericId();
}
