using CostGrains.Aggregates;
using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CostGrains.Allocations;

/// <summary>A allocation's running totals, fed by the allocation usage stream.</summary>
[ImplicitStreamSubscription(StreamNamespaces.Allocation)]
public sealed class AllocationGrain(
    [PersistentState("allocation", GrainStorage.Name)] IPersistentState<AggregateState> state,
    ILedger ledger,
    IOptions<AggregateOptions> options,
    ILogger<AllocationGrain> logger)
    : AggregateGrain(TargetKind.Allocation, state, ledger, options, logger), IAllocationGrain;
