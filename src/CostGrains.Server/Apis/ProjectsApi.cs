using CostGrains.Aggregates;
using CostGrains.Ingest;
using CostGrains.Ledger;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record CreateProjectRequest(string? Key, string? Name);

public sealed record UpdateProjectRequest(string? Name, bool? Archived);

/// <summary>Project management for org admins: create ahead of usage, rename, archive.</summary>
public static class ProjectsApi
{
    public const int MaxNameLength = 200;

    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/projects", Create).RequireAuthorization(Principals.CanAdmin).WithTags("Projects");
        app.MapPatch("/v1/projects/{key}", Update).RequireAuthorization(Principals.CanAdmin).WithTags("Projects");
        return app;
    }

    private static async Task<Results<Created<AggregateResponse>, ProblemHttpResult>> Create(
        CreateProjectRequest request, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var org = context.Org();

        if (!UsageEventParser.IsValidKey(request.Key))
        {
            return Problems.Key("key");
        }

        if (NameProblem(request.Name) is { } nameProblem)
        {
            return nameProblem;
        }

        var target = new TargetRef(TargetKind.Project, org, request.Key!);
        if (!await ledger.RegisterTargetAsync(target, PriceCatalog.Usd, cancellationToken))
        {
            return Problems.Conflict($"Project '{request.Key}' already exists.");
        }

        var snapshot = await AggregateGrains.Get(grains, target).UpdateProfile(request.Name?.Trim(), archived: false);
        return TypedResults.Created($"/v1/projects/{target.Key}", AggregateResponse.From(snapshot));
    }

    private static async Task<Results<Ok<AggregateResponse>, ProblemHttpResult>> Update(
        string key, UpdateProjectRequest request, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var org = context.Org();

        if (request.Name is not null && NameProblem(request.Name) is { } nameProblem)
        {
            return nameProblem;
        }

        var target = new TargetRef(TargetKind.Project, org, key);
        if (await ledger.GetTargetAsync(target, cancellationToken) is null)
        {
            return Problems.NotFound($"Project '{key}' does not exist.");
        }

        var snapshot = await AggregateGrains.Get(grains, target).UpdateProfile(request.Name?.Trim(), request.Archived);
        return TypedResults.Ok(AggregateResponse.From(snapshot));
    }

    /// <summary>A display name of 1 to <see cref="MaxNameLength"/> characters (null: not given).</summary>
    internal static ProblemHttpResult? NameProblem(string? name) =>
        name is not null && (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength)
            ? Problems.Field("name", $"1 to {MaxNameLength} characters.")
            : null;
}
