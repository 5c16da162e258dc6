using CostGrains.Aggregates;
using Microsoft.Extensions.Logging;

namespace CostGrains.Projects;

/// <summary>
/// A project: the totals every aggregate keeps, plus its resources and their live burn, billed
/// spend per resource, runaway detection over its daily cost, and prepaid credits.
/// </summary>
[ImplicitStreamSubscription(StreamNamespaces.Project)]
public sealed class ProjectGrain(
    [PersistentState("project", GrainStorage.Name)] IPersistentState<AggregateState> state,
    AggregateServices services,
    ILogger<ProjectGrain> logger)
    : AggregateGrain(TargetKind.Project, state, services, logger), IProjectGrain
{
    private ProjectState Project => State.Project ??= new ProjectState();

    protected override void OnRecordApplied(UsageRecord record)
    {
        if (record.Change is { } change)
        {
            if (record.Resource is { } name)
            {
                Project.Report(name, record.Time, change);
            }

            return;
        }

        if (record.Amount == 0)
        {
            return;
        }

        var project = Project;
        project.Bill(record);
        DetectRunaway(project, ProjectState.DayOf(record.Time), record.Id);
        if (project.Credits is { } credits && credits.Draw(record.Amount) > 0)
        {
            CheckCredits(credits, record.Id);
        }
    }

    protected override Task AfterApplied() => SettleClaims();

    protected override async Task OnActivated()
    {
        if (State.Project is { } project)
        {
            // A release that reached this project but not its storage before a crash is learned again here.
            foreach (var (name, entry) in project.Resources)
            {
                if (entry.MovedTo is null && entry.State != ResourceStates.Deleted)
                {
                    project.PendingClaims.Add(name);
                }
            }

            await SettleClaims();
        }
    }

    protected override decimal BurnPerHour => State.Project?.BurnPerHour ?? 0m;

    protected override int InstanceCount => State.Project?.InstanceCount ?? 0;

    protected override decimal? CreditBalance => State.Project?.Credits?.Balance;

    public Task<ProjectDetail> GetDetail() => Task.FromResult(Detail());

    private ProjectDetail Detail()
    {
        var summary = CreateSnapshot();
        if (State.Project is not { } project)
        {
            return new ProjectDetail(summary, 0m, 0m, 0m, [], null, null, new Dictionary<string, decimal>());
        }

        var resources = project.Resources
            .Select(r => new ResourceView(r.Key, r.Value.Type, r.Value.MovedTo is null ? r.Value.State : ResourceStates.Moved,
                r.Value.HourlyRate, r.Value.LiveRate, project.SpentByResource.GetValueOrDefault(r.Key), r.Value.Since,
                r.Value.DetailsJson, r.Value.MovedTo))
            .OrderBy(r => r.Type).ThenByDescending(r => r.LiveRate).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        return new ProjectDetail(summary, project.ComputePerHour, project.StoragePerHour, project.AllocatedPerHour, resources,
            project.Credits?.Status(summary.BurnPerHour, DateTimeOffset.UtcNow), project.Runaway,
            new Dictionary<string, decimal>(project.SpentByResource));
    }

    public Task ReleaseResource(string resource, string movedTo, DateTimeOffset at)
    {
        // Interleaves with a delivery in progress (two projects may swap resources at once), so it
        // only changes memory and leaves the write to the checkpoint timer. A release lost in a crash
        // is learned again from the directory on activation.
        if (State.Project is { } project && project.Release(resource, movedTo, at))
        {
            Logger.LogInformation("{Resource} of {Target} moved to project {MovedTo}", resource, Target, movedTo);
            MarkChanged();
            PublishLive();
        }

        return Task.CompletedTask;
    }

    public async Task<CreditStatus> FundCredits(CreditGrant grant, decimal? alertBelow)
    {
        var credits = Project.Credits ??= new Credits();
        if (!credits.Grants.Exists(g => g.Id == grant.Id))
        {
            credits.Grants.Add(grant);
        }

        credits.AlertBelow = alertBelow ?? credits.AlertBelow;
        await Checkpoint();
        CheckCredits(credits, grant.Id);
        await AnnounceAlerts();
        PublishLive();
        return credits.Status(CreateSnapshot().BurnPerHour, DateTimeOffset.UtcNow);
    }

    public async Task<ProjectDetail> SetRunaway(RunawayPolicy? policy)
    {
        var project = Project;
        project.Runaway = policy;
        await Checkpoint();
        if (policy is not null && project.DailyCost.Count > 0)
        {
            DetectRunaway(project, project.DailyCost.Keys.Max(), "runaway-set");
            await AnnounceAlerts();
        }

        return Detail();
    }

    /// <summary>A day whose cost jumped by more than the policy's factor over its trailing average alerts once.</summary>
    private void DetectRunaway(ProjectState project, int day, string triggeredBy)
    {
        if (project.Runaway is not { } policy || project.RunawayFired.Contains(day) || project.DailyCost.Count == 0)
        {
            return;
        }

        // The first billed day still on record (resource reports do not count as usage).
        var firstBilledDay = project.DailyCost.Keys.Min();
        var cost = project.DailyCost.GetValueOrDefault(day);
        if (cost < policy.MinimumDailyCost || cost <= 0
            || project.TrailingAverage(day, policy.TrailingDays, firstBilledDay) is not { } average
            || average <= 0 || cost <= average * policy.Factor)
        {
            return;
        }

        var dayText = ProjectState.DayText(day);
        Raise(new BudgetAlert($"runaway:project:{Target.Key}:{dayText}", TargetKind.Project, Target.Org, Target.Key, dayText,
                policy.Factor, Math.Round(cost / average * 100m, 2), cost, Math.Round(average * policy.Factor, 6), triggeredBy,
                DateTimeOffset.UtcNow, AlertTypes.Runaway),
            () => project.RunawayFired.Add(day));
    }

    /// <summary>Credits alert once when the balance falls to the low mark, and once when it is used up (per funding).</summary>
    private void CheckCredits(Credits credits, string triggeredBy)
    {
        var balance = credits.Balance;
        var funded = credits.Funded;
        if (funded <= 0)
        {
            return;
        }

        var round = credits.Grants.Count;
        void Alert(string type)
        {
            var id = $"{type}:project:{Target.Key}:{round}";
            if (!credits.Fired.Contains(id))
            {
                Raise(new BudgetAlert(id, TargetKind.Project, Target.Org, Target.Key, $"grant-{round}", credits.LowMark,
                    Math.Round(credits.Drawn / funded * 100m, 2), credits.Drawn, funded, triggeredBy, DateTimeOffset.UtcNow, type),
                    () => credits.Fired.Add(id));
            }
        }

        if (balance <= credits.LowMark)
        {
            Alert(AlertTypes.CreditsLow);
        }

        if (balance <= 0)
        {
            Alert(AlertTypes.CreditsExhausted);
        }
    }

    /// <summary>
    /// Tells the organization's resource directory which resources this project reported; a resource
    /// another project held is released there, and one another project reported later is let go here.
    /// Both lists are state: a claim stays pending until its directory shard has it, and a release
    /// until the other project has taken it, so a failure in between is retried, never lost.
    /// </summary>
    private async Task SettleClaims()
    {
        if (State.Project is not { } project || (project.PendingClaims.Count == 0 && project.PendingReleases.Count == 0))
        {
            return;
        }

        try
        {
            var claims = project.PendingClaims
                .Where(project.Resources.ContainsKey)
                .Select(name => new ResourceClaim(name, project.Resources[name].Since))
                .GroupBy(c => Resources.ResourceDirectory.ShardKey(Target.Org, c.Resource));
            foreach (var shard in claims)
            {
                foreach (var move in await GrainFactory.GetGrain<IResourceDirectoryGrain>(shard.Key).Claim(Target.Key, shard.ToList()))
                {
                    if (move.Release == Target.Key)
                    {
                        project.Release(move.Resource, move.MovedTo, move.At);
                    }
                    else
                    {
                        project.PendingReleases.Add(move);
                    }
                }

                project.PendingClaims.ExceptWith(shard.Select(c => c.Resource));
            }

            while (project.PendingReleases.Count > 0)
            {
                var move = project.PendingReleases[0];
                await GrainFactory.GetGrain<IProjectGrain>($"{Target.Org}/{move.Release}").ReleaseResource(move.Resource, Target.Key, move.At);
                project.PendingReleases.RemoveAt(0);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // What is left stays pending: the next delivery or activation tries again.
            Logger.LogWarning(ex, "{Target} could not settle {Claims} resource claims and {Releases} releases",
                Target, project.PendingClaims.Count, project.PendingReleases.Count);
            MarkChanged();
        }
    }
}
