using CostGrains.Budgets;
using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using CostGrains.Streaming;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace CostGrains.Aggregates;

/// <summary>What every aggregate grain needs from its silo.</summary>
public sealed class AggregateServices(ILedger ledger, IOptions<AggregateOptions> options, ReplayThrottle throttle, Realtime.LiveUpdates live)
{
    public ILedger Ledger { get; } = ledger;

    public IOptions<AggregateOptions> Options { get; } = options;

    public ReplayThrottle Throttle { get; } = throttle;

    public Realtime.LiveUpdates Live { get; } = live;
}

/// <summary>
/// The shared behaviour of project, allocation and workspace grains. On activation the grain reads
/// its checkpoint and replays the ledger rows after its watermark; then it takes its implicit stream
/// subscription and applies delivered batches in order, skipping what the watermark already holds.
/// State is written every <see cref="AggregateOptions.CheckpointEvents"/> events, after
/// <see cref="AggregateOptions.CheckpointInterval"/>, and on deactivation — a crash in between loses
/// nothing because the ledger is replayed from the last written watermark.
/// </summary>
public abstract class AggregateGrain : Grain, IUsageAggregateGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<UsageDelivery>
{
    private readonly TargetKind _kind;
    private readonly IPersistentState<AggregateState> _state;
    private readonly AggregateServices _services;
    private readonly ILogger _logger;
    private TargetRef _target;
    private int _unsaved;
    private long _deliveries;
    private readonly List<(BudgetAlert Alert, Action MarkFired)> _alerts = [];
    private long _liveWatermark;
    private IGrainTimer? _checkpointTimer;

    protected AggregateGrain(TargetKind kind, IPersistentState<AggregateState> state, AggregateServices services, ILogger logger)
    {
        _kind = kind;
        _state = state;
        _services = services;
        _logger = logger;
    }

    private AggregateOptions Options => _services.Options.Value;

    protected UsageTotals Totals => _state.State.Totals;

    protected TargetRef Target => _target;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _target = TargetRef.FromGrainKey(_kind, this.GetPrimaryKeyString());
        await Replay(cancellationToken);
        await OnActivated();
        await AnnounceAlerts();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved > 0)
        {
            await TryCheckpoint();
        }
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<UsageDelivery>().ResumeAsync(this);

    public async Task OnNextAsync(IList<SequentialItem<UsageDelivery>> items)
    {
        var applied = 0;
        foreach (var item in items)
        {
            var delivery = item.Item;
            if (NeedsReplay(delivery))
            {
                // A delivery before this one never arrived (or cannot be ruled out): catch up from the ledger.
                applied += await Replay(CancellationToken.None);
            }

            foreach (var record in delivery.Records)
            {
                if (Apply(record))
                {
                    applied++;
                }
            }

            _deliveries++;
        }

        if (applied > 0)
        {
            await AfterApplied();
        }

        await AnnounceAlerts();
        if (Totals.Watermark > _liveWatermark)
        {
            // Also after rows the activation replay applied: the first event of a new aggregate
            // arrives that way, and its subscribers must see it.
            OnApplied();
        }

        if (applied > 0)
        {
            MarkUnsaved(applied);
            if (_unsaved >= Options.CheckpointEvents)
            {
                await TryCheckpoint();
            }
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        _logger.LogWarning(ex, "Usage stream of {Target} reported an error", _target);
        return Task.CompletedTask;
    }

    public Task<AggregateSnapshot> GetSnapshot() => Task.FromResult(CreateSnapshot());

    public async Task<AggregateSnapshot> UpdateProfile(string? name, bool? archived)
    {
        _state.State.Name = name ?? _state.State.Name;
        _state.State.Archived = archived ?? _state.State.Archived;
        await Checkpoint();
        return CreateSnapshot();
    }

    public async Task<AggregateSnapshot> SetBudget(BudgetPolicy? policy)
    {
        Budget.Policy = policy;
        await Checkpoint();
        // Usage so far may already be past some thresholds of the new budget: those fire now.
        if (policy is not null)
        {
            var now = new UsageRecord(Totals.Watermark, "budget-set", DateTimeOffset.UtcNow, 0m, "budget", null, null, null);
            Collect(Budget.NewCrossings(now));
            await AnnounceAlerts();
        }

        return CreateSnapshot();
    }

    public async Task Resync()
    {
        if (await Replay(CancellationToken.None) > 0)
        {
            await AfterApplied();
            await AnnounceAlerts();
            OnApplied();
        }
    }

    /// <summary>
    /// Whether rows before this delivery may be missing: the receiver delivered a row after our
    /// watermark that we never got, or it does not know (it restarted) while we were already being
    /// fed — right after activation the replay has covered everything up to now.
    /// </summary>
    private bool NeedsReplay(UsageDelivery delivery) => Totals.MayHaveMissed(delivery, fedSinceActivation: _deliveries > 0);

    public async Task Checkpoint()
    {
        await _state.WriteStateAsync();
        _unsaved = 0;
    }

    /// <summary>Called after a delivered batch changed the totals: the silo's outbox coalesces and sends it.</summary>
    protected virtual void OnApplied() => PublishLive();

    protected void PublishLive()
    {
        _liveWatermark = Totals.Watermark;
        // Built from the figures it carries, not from a full snapshot: this runs for every busy aggregate several times a second.
        var update = new BurnUpdate(_kind, _target.Org, _target.Key, BurnPerHour, Totals.Total, DateTimeOffset.UtcNow, CreditBalance);
        _services.Live.Post(update);
    }

    protected virtual AggregateSnapshot CreateSnapshot() => new(
        _kind, _target.Org, _target.Key, _state.State.Unit ?? PriceCatalog.Usd,
        Totals.Total, new Dictionary<string, decimal>(Totals.ByCategory), Totals.EventCount, Totals.Watermark,
        Totals.FirstEventAt, Totals.LastEventAt, BurnPerHour, Name: _state.State.Name ?? _target.Key, Archived: _state.State.Archived, InstanceCount,
        Budget: BudgetView());

    /// <summary>The live burn rate ($/hr); projects sum their running resources.</summary>
    protected virtual decimal BurnPerHour => 0m;

    /// <summary>Running instances; only projects have any.</summary>
    protected virtual int InstanceCount => 0;

    /// <summary>The prepaid credit balance pushed with live updates, when the aggregate has credits.</summary>
    protected virtual decimal? CreditBalance => null;

    protected AggregateState State => _state.State;

    protected ILogger Logger => _logger;

    /// <summary>Called for every record that changed the totals (delivered or replayed), in ledger order.</summary>
    protected virtual void OnRecordApplied(UsageRecord record)
    {
    }

    /// <summary>Called after records were applied (a delivered batch, a replay), before alerts are announced.</summary>
    protected virtual Task AfterApplied() => Task.CompletedTask;

    /// <summary>Called once the activation replay is done.</summary>
    protected virtual Task OnActivated() => Task.CompletedTask;

    /// <summary>
    /// Queues an alert for the organization's alert log. <paramref name="markFired"/> runs once the log
    /// has it, and the state that records it is checkpointed right after: each alert fires once.
    /// </summary>
    protected void Raise(BudgetAlert alert, Action markFired)
    {
        if (!_alerts.Exists(a => a.Alert.Id == alert.Id))
        {
            _alerts.Add((alert, markFired));
        }
    }

    /// <summary>Schedules a checkpoint for state changed outside a delivery.</summary>
    protected void MarkChanged() => MarkUnsaved(1);

    private BudgetStatus? BudgetView()
    {
        if (Budget.Policy is not { } policy)
        {
            return null;
        }

        var period = policy.PeriodOf(DateTimeOffset.UtcNow);
        var percent = Budget.PercentUsed(period);
        return new BudgetStatus(policy.Limit, policy.Period, policy.Thresholds, period, Budget.Used(period), percent, BudgetTracker.State(percent));
    }

    private BudgetTracker Budget => _state.State.Budget;

    private bool Apply(UsageRecord record)
    {
        if (!Totals.Apply(record))
        {
            return false;
        }

        Budget.Count(record);
        Collect(Budget.NewCrossings(record));
        OnRecordApplied(record);
        return true;
    }

    private void Collect(List<BudgetCrossing> crossings)
    {
        foreach (var crossing in crossings)
        {
            var id = $"{_kind.Name()}:{_target.Key}:{crossing.Period}:{BudgetTracker.Text(crossing.Threshold)}";
            Raise(new BudgetAlert(id, _kind, _target.Org, _target.Key, crossing.Period, crossing.Threshold,
                crossing.PercentUsed, crossing.Used, Budget.Policy!.Limit, crossing.TriggeringEventId, DateTimeOffset.UtcNow),
                () => Budget.MarkFired(crossing));
        }
    }

    /// <summary>
    /// Records each new alert (budget crossings, and whatever <see cref="Raise"/> queued) in the
    /// organization's alert log, which announces it once, then persists it as fired. A crash in
    /// between is harmless: the replay finds the alert again and the log, knowing its id, neither
    /// stores nor announces it twice. Runs after a delivery, a replay, or a command that raised one.
    /// </summary>
    protected async Task AnnounceAlerts()
    {
        if (_alerts.Count == 0)
        {
            return;
        }

        var log = GrainFactory.GetGrain<IAlertLogGrain>(_target.Org);
        while (_alerts.Count > 0)
        {
            var (alert, markFired) = _alerts[0];
            try
            {
                await log.Record(alert);
                markFired();
                _alerts.RemoveAt(0);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Recording alert {Alert} failed; retrying with the next usage", alert.Id);
                _alerts.Clear(); // found again on the next evaluation: not fired yet
                return;
            }
        }

        await TryCheckpoint();
    }

    /// <summary>Applies the ledger rows after the watermark; returns how many changed the totals.</summary>
    private async Task<int> Replay(CancellationToken cancellationToken)
    {
        var gate = _services.Throttle.Gate;
        await gate.WaitAsync(cancellationToken);
        var replayed = 0;
        try
        {
            while (true)
            {
                var page = await _services.Ledger.ReadTargetAsync(_target, Totals.Watermark, Options.ReplayPageSize, cancellationToken);
                foreach (var record in page)
                {
                    if (Apply(record))
                    {
                        replayed++;
                    }
                }

                if (page.Count < Options.ReplayPageSize)
                {
                    break;
                }
            }
        }
        finally
        {
            gate.Release();
        }

        if (replayed > 0)
        {
            _logger.LogDebug("{Target} replayed {Count} ledger rows up to seq {Watermark}", _target, replayed, Totals.Watermark);
            MarkUnsaved(replayed);
        }

        return replayed;
    }

    private void MarkUnsaved(int count)
    {
        _unsaved += count;
        // One short-lived timer per dirty grain; an idle grain holds none.
        _checkpointTimer ??= this.RegisterGrainTimer(
            async _ =>
            {
                _checkpointTimer?.Dispose();
                _checkpointTimer = null;
                if (_unsaved > 0 && !await TryCheckpoint())
                {
                    MarkUnsaved(0);
                }
            },
            Options.CheckpointInterval,
            Timeout.InfiniteTimeSpan);
    }

    private async Task<bool> TryCheckpoint()
    {
        try
        {
            await Checkpoint();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The ledger still holds every event: a later checkpoint or a replay catches up.
            _logger.LogWarning(ex, "Checkpoint of {Target} failed; {Unsaved} events stay unsaved", _target, _unsaved);
            return false;
        }
    }
}
