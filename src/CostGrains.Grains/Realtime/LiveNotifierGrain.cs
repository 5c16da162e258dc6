using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace CostGrains.Realtime;

/// <summary>
/// One per silo (stateless worker): collects updates for <see cref="BatchWindow"/> and sends them
/// to every silo's hub in one call each, so a busy cluster sends few, larger messages.
/// </summary>
[StatelessWorker(1)]
public sealed class LiveNotifierGrain(ILogger<LiveNotifierGrain> logger) : Grain, ILiveNotifierGrain
{
    public static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan HubRefresh = TimeSpan.FromSeconds(5);

    private readonly Dictionary<(TargetKind, string, string), BurnUpdate> _pending = [];
    private readonly List<BudgetAlert> _crossings = [];
    private IReadOnlyList<ILiveHub> _hubs = [];
    private DateTime _hubsFetched = DateTime.MinValue;
    private Task? _flush;

    public Task Publish(BurnUpdate update)
    {
        // Newer updates of the same aggregate replace older ones still waiting.
        _pending[(update.Kind, update.Org, update.Key)] = update;
        _flush ??= FlushLater();
        return Task.CompletedTask;
    }

    public Task PublishCrossing(BudgetAlert alert)
    {
        _crossings.Add(alert);
        _flush ??= FlushLater();
        return Task.CompletedTask;
    }

    private async Task FlushLater()
    {
        await Task.Delay(BatchWindow);
        var batch = _pending.Values.ToList();
        var crossings = _crossings.ToList();
        _pending.Clear();
        _crossings.Clear();
        _flush = null;
        try
        {
            if (DateTime.UtcNow - _hubsFetched > HubRefresh)
            {
                _hubs = await GrainFactory.GetGrain<ILiveHubDirectoryGrain>(0).GetHubs();
                _hubsFetched = DateTime.UtcNow;
            }

            await Task.WhenAll(_hubs.Select(async hub =>
            {
                try
                {
                    await hub.Send(batch, crossings);
                }
                catch (Exception ex)
                {
                    // A silo that went away: its clients reconnect to another node.
                    logger.LogDebug(ex, "A hub did not take {Count} live updates", batch.Count);
                    _hubsFetched = DateTime.MinValue;
                }
            }));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Publishing {Count} live updates failed", batch.Count);
        }
    }
}
