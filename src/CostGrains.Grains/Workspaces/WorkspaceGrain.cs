using CostGrains.Aggregates;
using Microsoft.Extensions.Logging;

namespace CostGrains.Workspaces;

/// <summary>A workspace's running totals, fed by the workspace usage stream.</summary>
[ImplicitStreamSubscription(StreamNamespaces.Workspace)]
public sealed class WorkspaceGrain(
    [PersistentState("workspace", GrainStorage.Name)] IPersistentState<AggregateState> state,
    AggregateServices services,
    ILogger<WorkspaceGrain> logger)
    : AggregateGrain(TargetKind.Workspace, state, services, logger), IWorkspaceGrain;
