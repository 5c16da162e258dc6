using CostGrains.Aggregates;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace CostGrains.Streaming;

/// <summary>
/// When the pulling agent gives up on a delivery, the aggregate is told to catch up from the
/// ledger, so its totals do not wait for its next event to notice the gap.
/// </summary>
internal sealed class ResyncOnDeliveryFailure(IGrainFactory grains, ILogger<ResyncOnDeliveryFailure> logger) : IStreamFailureHandler
{
    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamId, StreamSequenceToken? sequenceToken)
    {
        var target = TargetRef.FromGrainKey(StreamNamespaces.KindOf(streamId.GetNamespace()!), streamId.GetKeyAsString());
        logger.LogWarning("Delivery to {Target} failed at {Token}; asking it to catch up from the ledger", target, sequenceToken);
        _ = Resync(target);
        return Task.CompletedTask;
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamId, StreamSequenceToken? sequenceToken) =>
        Task.CompletedTask;

    private async Task Resync(TargetRef target)
    {
        try
        {
            await AggregateGrains.Get(grains, target).Resync();
        }
        catch (Exception ex)
        {
            // It replays on its next activation or its next delivery's gap check anyway.
            logger.LogWarning(ex, "Resync of {Target} failed", target);
        }
    }
}
