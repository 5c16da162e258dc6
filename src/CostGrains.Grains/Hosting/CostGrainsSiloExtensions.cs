using CostGrains.Aggregates;
using CostGrains.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Streams;

namespace CostGrains.Hosting;

public static class CostGrainsSiloExtensions
{
    /// <summary>
    /// Adds what every CostGrains silo runs whatever its storage: the ledger stream provider
    /// (implicit subscriptions only, batched delivery) and the aggregate options. The caller
    /// registers an <see cref="Ledger.ILedger"/> and the grain storage named <see cref="GrainStorage.Name"/>.
    /// </summary>
    public static ISiloBuilder AddCostGrainsCore(this ISiloBuilder silo, IConfiguration? configuration = null)
    {
        var streamSection = configuration?.GetSection("CostGrains:Stream");
        var streamOptions = new LedgerStreamOptions();
        streamSection?.Bind(streamOptions);

        silo.Services.AddOptions<LedgerStreamOptions>().Configure(o => streamSection?.Bind(o));
        silo.Services.AddSingleton<ReplayThrottle>();
        silo.Services.AddHttpClient("webhooks");
        silo.Services.AddOptions<Webhooks.WebhookOptions>().Configure(o => configuration?.GetSection("CostGrains:Webhooks").Bind(o));
        silo.Services.AddSingleton<Realtime.LiveUpdates>();
        silo.Services.AddSingleton<AggregateServices>();
        silo.Services.AddOptions<AggregateOptions>().Configure(o => configuration?.GetSection("CostGrains:Aggregates").Bind(o));

        silo.AddPersistentStreams(StreamNamespaces.Provider, LedgerQueueAdapterFactory.Create, stream =>
        {
            stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            stream.ConfigurePullingAgent(agent => agent.Configure(o =>
            {
                o.BatchContainerBatchSize = streamOptions.DeliveryBatchSize;
                o.GetQueueMsgsTimerPeriod = streamOptions.PullPeriod;
            }));
        });

        return silo;
    }
}
