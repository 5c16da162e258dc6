using CostGrains.Aggregates;
using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CostGrains.Workspaces;

/// <summary>A workspace's running totals, fed by the workspace usage stream.</summary>
[ImplicitStreamSubscription(StreamNamespaces.Workspace)]
public sealed class WorkspaceGrain(
    [PersistentState("workspace", GrainStorage.Name)] IPersistentState<AggregateState> state,
    ILedger ledger,
    IOptions<AggregateOptions> options,
    ILogger<WorkspaceGrain> logger)
    : AggregateGrain(TargetKind.Workspace, state, ledger, options, logger), IWorkspaceGrain;
