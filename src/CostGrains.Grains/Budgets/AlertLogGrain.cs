namespace CostGrains.Budgets;

[GenerateSerializer]
public sealed class AlertLogState
{
    [Id(0)] public List<BudgetAlert> Alerts { get; set; } = [];

    /// <summary>Alerts handed to the organization's webhooks.</summary>
    [Id(1)] public HashSet<string> Forwarded { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// An organization's budget alerts. An alert is stored before it is announced, and an id already
/// stored is neither stored nor announced again — so an aggregate that replays after a crash and
/// finds the same crossing cannot announce it twice.
/// </summary>
public sealed class AlertLogGrain(
    [PersistentState("alerts", GrainStorage.Name)] IPersistentState<AlertLogState> state, Realtime.LiveUpdates live)
    : Grain, IAlertLogGrain
{
    private HashSet<string>? _ids;

    public async Task<bool> Record(BudgetAlert alert)
    {
        _ids ??= state.State.Alerts.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        if (!_ids.Add(alert.Id))
        {
            // Already stored and announced; finish the hand-off to the webhooks if that failed before.
            if (!state.State.Forwarded.Contains(alert.Id))
            {
                await Forward(state.State.Alerts.First(a => a.Id == alert.Id));
            }

            return false;
        }

        state.State.Alerts.Add(alert);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Alerts.RemoveAt(state.State.Alerts.Count - 1);
            _ids.Remove(alert.Id);
            throw;
        }

        live.Post(alert);
        await Forward(alert);
        return true;
    }

    private async Task Forward(BudgetAlert alert)
    {
        await GrainFactory.GetGrain<IWebhookGrain>(alert.Org).Enqueue(alert);
        state.State.Forwarded.Add(alert.Id);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<BudgetAlert>> List(int limit) =>
        Task.FromResult<IReadOnlyList<BudgetAlert>>(state.State.Alerts.AsEnumerable().Reverse().Take(limit).ToList());
}
