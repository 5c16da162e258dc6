using CostGrains.Aggregates;
using Microsoft.Extensions.Logging;

namespace CostGrains.Projects;

/// <summary>A project's running totals, fed by the project usage stream.</summary>
[ImplicitStreamSubscription(StreamNamespaces.Project)]
public sealed class ProjectGrain(
    [PersistentState("project", GrainStorage.Name)] IPersistentState<AggregateState> state,
    AggregateServices services,
    ILogger<ProjectGrain> logger)
    : AggregateGrain(TargetKind.Project, state, services, logger), IProjectGrain;
