using CostGrains.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>
/// The persistent stream provider whose queues are the ledger partitions. It is read-only: usage
/// enters through the ledger (ingest commits, then the receivers read), never through the stream.
/// </summary>
public sealed class LedgerQueueAdapterFactory : IQueueAdapterFactory, IQueueAdapter
{
    private readonly ILedger _ledger;
    private readonly LedgerStreamOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly LedgerQueueMapper _mapper;
    private readonly LedgerQueueAdapterCache _cache;
    private readonly ResyncOnDeliveryFailure _failureHandler;

    public LedgerQueueAdapterFactory(
        string name, ILedger ledger, LedgerStreamOptions options, ILoggerFactory loggerFactory, IGrainFactory grains)
    {
        Name = name;
        _ledger = ledger;
        _options = options;
        _loggerFactory = loggerFactory;
        _mapper = new LedgerQueueMapper(name, ledger.Partitions);
        _cache = new LedgerQueueAdapterCache(options.CacheSize);
        _failureHandler = new ResyncOnDeliveryFailure(grains, loggerFactory.CreateLogger<ResyncOnDeliveryFailure>());
    }

    public string Name { get; }

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadOnly;

    public static LedgerQueueAdapterFactory Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<ILedger>(),
        services.GetRequiredService<IOptions<LedgerStreamOptions>>().Value,
        services.GetRequiredService<ILoggerFactory>(),
        services.GetRequiredService<IGrainFactory>());

    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(_failureHandler);

    public Task QueueMessageBatchAsync<T>(
        StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext) =>
        throw new NotSupportedException("Usage enters through the ledger; the ledger stream is read-only.");

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => new LedgerQueueReceiver(
        _ledger, LedgerQueueMapper.PartitionOf(queueId), _options, _loggerFactory.CreateLogger<LedgerQueueReceiver>());
}
