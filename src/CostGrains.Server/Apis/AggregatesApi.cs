using CostGrains.Aggregates;
using CostGrains.Ledger;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record BurnDto(decimal PerHour, decimal PerDay)
{
    public static BurnDto From(decimal perHour) => new(perHour, perHour * 24);
}

public sealed record SpentDto(decimal Total, decimal Compute, decimal Storage, IReadOnlyDictionary<string, decimal> ByCategory);

public sealed record ProjectListItem(string Key, string Name, bool Archived, int InstanceCount, BurnDto Burn, SpentDto Spent);

/// <summary>An aggregate's read model, served from its grain's memory.</summary>
public sealed record AggregateResponse(
    string Key,
    string Name,
    bool Archived,
    string Unit,
    int InstanceCount,
    BurnDto Burn,
    SpentDto Spent,
    long EventCount,
    DateTimeOffset? FirstEventAt,
    DateTimeOffset? LastEventAt,
    long Watermark,
    BudgetResponse? Budget)
{
    public static AggregateResponse From(AggregateSnapshot s) => new(
        s.Key, s.Name, s.Archived, s.Unit, s.InstanceCount, BurnDto.From(s.BurnPerHour), SpentOf(s),
        s.EventCount, s.FirstEventAt, s.LastEventAt, s.Watermark, BudgetResponse.From(s.Budget));

    public static SpentDto SpentOf(AggregateSnapshot s) =>
        new(s.Total, s.CategoryTotal("compute"), s.CategoryTotal("storage"), s.ByCategory);
}

public static class AggregatesApi
{
    public static IEndpointRouteBuilder MapAggregatesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/projects", ListProjects).RequireAuthorization(Principals.CanRead).WithTags("Projects");
        app.MapGet("/v1/allocations/{key}", (string key, HttpContext c, IGrainFactory g, ILedger l, CancellationToken ct) =>
            Get(TargetKind.Allocation, key, c, g, l, ct)).RequireAuthorization(Principals.CanRead).WithTags("Allocations");
        app.MapGet("/v1/workspaces/{key}", (string key, HttpContext c, IGrainFactory g, ILedger l, CancellationToken ct) =>
            Get(TargetKind.Workspace, key, c, g, l, ct)).RequireAuthorization(Principals.CanRead).WithTags("Workspaces");
        return app;
    }

    private static async Task<Results<Ok<List<ProjectListItem>>, ProblemHttpResult>> ListProjects(
        HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var org = context.Org();

        var targets = await ledger.ListTargetsAsync(org, TargetKind.Project, cancellationToken);
        var snapshots = await Task.WhenAll(targets.Select(t => AggregateGrains.Get(grains, t.Target).GetSnapshot()));
        return TypedResults.Ok(snapshots
            .Select(s => new ProjectListItem(s.Key, s.Name, s.Archived, s.InstanceCount, BurnDto.From(s.BurnPerHour), AggregateResponse.SpentOf(s)))
            .ToList());
    }

    private static async Task<Results<Ok<AggregateResponse>, ProblemHttpResult>> Get(
        TargetKind kind, string key, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var org = context.Org();

        var target = new TargetRef(kind, org, key);
        if (await ledger.GetTargetAsync(target, cancellationToken) is not { } entry)
        {
            return Problems.NotFound($"{kind} '{key}' has no usage yet.");
        }

        var snapshot = await AggregateGrains.Get(grains, target).GetSnapshot();
        return TypedResults.Ok(AggregateResponse.From(snapshot with { Unit = entry.Unit }));
    }
}
