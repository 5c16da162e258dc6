using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>
/// The rows of one aggregate from one page read of its ledger partition, in sequence order.
/// The last container of a page carries the page's end, so the receiver can record that the
/// whole page was delivered once that container leaves the cache.
/// </summary>
[GenerateSerializer]
public sealed class LedgerBatchContainer(StreamId streamId, UsageRecord[] records, long pageEnd = 0, long prevSeq = 0) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;

    [Id(1)] public UsageRecord[] Records { get; } = records;

    /// <summary>The last sequence number of the page when this is the page's last container, else 0.</summary>
    [Id(2)] public long PageEnd { get; } = pageEnd;

    /// <summary>The aggregate's row this receiver delivered before these (0: none since it started).</summary>
    [Id(3)] public long PrevSeq { get; } = prevSeq;

    public StreamSequenceToken SequenceToken => new EventSequenceTokenV2(Records[0].Seq);

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        if (new UsageDelivery(PrevSeq, Records) is T delivery)
        {
            yield return Tuple.Create(delivery, SequenceToken);
        }
    }

    public bool ImportRequestContext() => false;
}
