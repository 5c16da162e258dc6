namespace CostGrains.Aggregates;

/// <summary>The grain of an aggregate, by its kind.</summary>
public static class AggregateGrains
{
    public static IUsageAggregateGrain Get(IGrainFactory grains, TargetRef target) => target.Kind switch
    {
        TargetKind.Project => grains.GetGrain<IProjectGrain>(target.GrainKey),
        TargetKind.Allocation => grains.GetGrain<IAllocationGrain>(target.GrainKey),
        _ => grains.GetGrain<IWorkspaceGrain>(target.GrainKey),
    };
}

/// <summary>Bounds how many aggregates of a silo replay from the ledger at once (activation storms).</summary>
public sealed class ReplayThrottle(int concurrency = 32)
{
    public SemaphoreSlim Gate { get; } = new(concurrency);
}
