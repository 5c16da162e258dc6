using CostGrains.Aggregates;
using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CostGrains.Projects;

/// <summary>A project's running totals, fed by the project usage stream.</summary>
[ImplicitStreamSubscription(StreamNamespaces.Project)]
public sealed class ProjectGrain(
    [PersistentState("project", GrainStorage.Name)] IPersistentState<AggregateState> state,
    ILedger ledger,
    IOptions<AggregateOptions> options,
    ILogger<ProjectGrain> logger)
    : AggregateGrain(TargetKind.Project, state, ledger, options, logger), IProjectGrain;
