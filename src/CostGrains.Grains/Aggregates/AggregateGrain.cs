using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace CostGrains.Aggregates;

/// <summary>
/// The shared behaviour of project, allocation and workspace grains. On activation the grain reads
/// its checkpoint and replays the ledger rows after its watermark; then it takes its implicit stream
/// subscription and applies delivered batches in order, skipping what the watermark already holds.
/// State is written every <see cref="AggregateOptions.CheckpointEvents"/> events, after
/// <see cref="AggregateOptions.CheckpointInterval"/>, and on deactivation — a crash in between loses
/// nothing because the ledger is replayed from the last written watermark.
/// </summary>
public abstract class AggregateGrain : Grain, IUsageAggregateGrain, IStreamSubscriptionObserver, IAsyncBatchObserver<UsageRecord>
{
    private readonly TargetKind _kind;
    private readonly IPersistentState<AggregateState> _state;
    private readonly ILedger _ledger;
    private readonly AggregateOptions _options;
    private readonly ILogger _logger;
    private TargetRef _target;
    private int _unsaved;
    private IGrainTimer? _checkpointTimer;

    protected AggregateGrain(
        TargetKind kind, IPersistentState<AggregateState> state, ILedger ledger, IOptions<AggregateOptions> options, ILogger logger)
    {
        _kind = kind;
        _state = state;
        _ledger = ledger;
        _options = options.Value;
        _logger = logger;
    }

    protected UsageTotals Totals => _state.State.Totals;

    protected TargetRef Target => _target;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _target = TargetRef.FromGrainKey(_kind, this.GetPrimaryKeyString());
        var replayed = 0;
        while (true)
        {
            var page = await _ledger.ReadTargetAsync(_target, Totals.Watermark, _options.ReplayPageSize, cancellationToken);
            foreach (var record in page)
            {
                Totals.Apply(record);
            }

            replayed += page.Count;
            if (page.Count < _options.ReplayPageSize)
            {
                break;
            }
        }

        if (replayed > 0)
        {
            _logger.LogDebug("{Target} replayed {Count} ledger rows up to seq {Watermark}", _target, replayed, Totals.Watermark);
            MarkUnsaved(replayed);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_unsaved > 0)
        {
            await TryCheckpoint();
        }
    }

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<UsageRecord>().ResumeAsync(this);

    public async Task OnNextAsync(IList<SequentialItem<UsageRecord>> items)
    {
        var applied = 0;
        foreach (var item in items)
        {
            if (Totals.Apply(item.Item))
            {
                applied++;
            }
        }

        if (applied > 0)
        {
            OnApplied();
            MarkUnsaved(applied);
            if (_unsaved >= _options.CheckpointEvents)
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

    public async Task Checkpoint()
    {
        await _state.WriteStateAsync();
        _unsaved = 0;
    }

    /// <summary>Called after a delivered batch changed the totals (for live updates).</summary>
    protected virtual void OnApplied()
    {
    }

    protected virtual AggregateSnapshot CreateSnapshot() => new(
        _kind, _target.Org, _target.Key, _state.State.Unit ?? PriceCatalog.Usd,
        Totals.Total, new Dictionary<string, decimal>(Totals.ByCategory), Totals.EventCount, Totals.Watermark,
        Totals.FirstEventAt, Totals.LastEventAt, BurnPerHour: 0m, Name: _target.Key, Archived: false, InstanceCount: 0);

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
            _options.CheckpointInterval,
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
