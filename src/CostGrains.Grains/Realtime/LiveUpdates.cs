using Microsoft.Extensions.Logging;

namespace CostGrains.Realtime;

/// <summary>
/// The silo's outbox of live pushes (the GPS-tracker pattern without a notifier grain). Aggregates
/// post their latest figures after every change — a dictionary write, no timer, no grain call — and
/// the alert log posts every alert. Every <see cref="Tick"/> what is due goes to every silo's hub in
/// one call each. An aggregate's burn is sent at most once per <see cref="Interval"/> and its last
/// update always goes (a newer post replaces a waiting one); alerts are never coalesced.
/// </summary>
public sealed class LiveUpdates(IGrainFactory grains, ILogger<LiveUpdates> logger) : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan HubRefresh = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<(TargetKind, string, string), BurnUpdate> _pending = [];
    private readonly Dictionary<(TargetKind, string, string), long> _lastSent = [];
    private readonly List<BudgetAlert> _alerts = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private IReadOnlyList<ILiveHub> _hubs = [];
    private long? _hubsFetched;

    public void Post(BurnUpdate update)
    {
        lock (_gate)
        {
            _pending[(update.Kind, update.Org, update.Key)] = update;
            _loop ??= Task.Run(Loop);
        }
    }

    public void Post(BudgetAlert alert)
    {
        lock (_gate)
        {
            _alerts.Add(alert);
            _loop ??= Task.Run(Loop);
        }
    }

    private List<BudgetAlert> TakeAlerts()
    {
        lock (_gate)
        {
            var alerts = _alerts.ToList();
            _alerts.Clear();
            return alerts;
        }
    }

    /// <summary>The updates due at <paramref name="nowMs"/>; the others wait for their interval.</summary>
    public List<BurnUpdate> TakeDue(long nowMs)
    {
        var due = new List<BurnUpdate>();
        lock (_gate)
        {
            foreach (var (key, update) in _pending)
            {
                if (!_lastSent.TryGetValue(key, out var last) || nowMs - last >= (long)Interval.TotalMilliseconds)
                {
                    due.Add(update);
                    _lastSent[key] = nowMs;
                }
            }

            foreach (var update in due)
            {
                _pending.Remove((update.Kind, update.Org, update.Key));
            }

            if (_lastSent.Count > 4 * (_pending.Count + 1024))
            {
                // Aggregates quiet for a whole interval need no spacing any more.
                foreach (var quiet in _lastSent.Where(s => nowMs - s.Value >= (long)Interval.TotalMilliseconds).Select(s => s.Key).ToList())
                {
                    _lastSent.Remove(quiet);
                }
            }
        }

        return due;
    }

    private async Task Loop()
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var due = TakeDue(Environment.TickCount64);
                var alerts = TakeAlerts();
                if (due.Count > 0 || alerts.Count > 0)
                {
                    await Send(due, alerts);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task Send(List<BurnUpdate> updates, List<BudgetAlert> alerts)
    {
        try
        {
            if (_hubsFetched is not { } fetched || Environment.TickCount64 - fetched > HubRefresh.TotalMilliseconds)
            {
                _hubs = await grains.GetGrain<ILiveHubDirectoryGrain>(0).GetHubs();
                _hubsFetched = Environment.TickCount64;
            }

            await Task.WhenAll(_hubs.Select(async hub =>
            {
                try
                {
                    await hub.Send(updates, alerts);
                }
                catch (Exception ex)
                {
                    // A silo that went away: its clients reconnect to another node.
                    logger.LogDebug(ex, "A hub did not take {Count} live updates", updates.Count);
                    _hubsFetched = null;
                }
            }));
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Publishing {Count} live updates failed", updates.Count);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
