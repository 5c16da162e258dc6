namespace CostGrains.Budgets;

[GenerateSerializer]
public sealed class AlertLogState
{
    [Id(0)] public List<BudgetAlert> Alerts { get; set; } = [];
}

/// <summary>
/// An organization's budget alerts. An alert is stored before it is announced, and an id already
/// stored is neither stored nor announced again — so an aggregate that replays after a crash and
/// finds the same crossing cannot announce it twice.
/// </summary>
public sealed class AlertLogGrain([PersistentState("alerts", GrainStorage.Name)] IPersistentState<AlertLogState> state)
    : Grain, IAlertLogGrain
{
    private HashSet<string>? _ids;

    public async Task<bool> Record(BudgetAlert alert)
    {
        _ids ??= state.State.Alerts.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        if (!_ids.Add(alert.Id))
        {
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

        await GrainFactory.GetGrain<ILiveNotifierGrain>(0).PublishCrossing(alert);
        return true;
    }

    public Task<IReadOnlyList<BudgetAlert>> List(int limit) =>
        Task.FromResult<IReadOnlyList<BudgetAlert>>(state.State.Alerts.AsEnumerable().Reverse().Take(limit).ToList());
}
