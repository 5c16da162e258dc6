using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>Consecutive ledger rows of one partition that belong to the same aggregate.</summary>
[GenerateSerializer]
public sealed class LedgerBatchContainer(StreamId streamId, UsageRecord[] records) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;

    [Id(1)] public UsageRecord[] Records { get; } = records;

    public StreamSequenceToken SequenceToken => new EventSequenceTokenV2(Records[0].Seq);

    public long LastSeq => Records[^1].Seq;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Records.OfType<T>().Select((e, i) => Tuple.Create(e, (StreamSequenceToken)new EventSequenceTokenV2(Records[i].Seq)));

    public bool ImportRequestContext() => false;
}
