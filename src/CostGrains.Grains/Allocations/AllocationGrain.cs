using CostGrains.Aggregates;
using Microsoft.Extensions.Logging;

namespace CostGrains.Allocations;

/// <summary>A allocation's running totals, fed by the allocation usage stream.</summary>
[ImplicitStreamSubscription(StreamNamespaces.Allocation)]
public sealed class AllocationGrain(
    [PersistentState("allocation", GrainStorage.Name)] IPersistentState<AggregateState> state,
    AggregateServices services,
    ILogger<AllocationGrain> logger)
    : AggregateGrain(TargetKind.Allocation, state, services, logger), IAllocationGrain;
