using System.Globalization;
using System.Text.Json;
using CostGrains.Aggregates;
using CostGrains.Ledger;
using CostGrains.Reports;
using CostGrains.Server.Auth;

namespace CostGrains.Server.Apis;

public sealed record ProjectBurnDto(decimal PerHour, decimal PerDay, decimal Compute, decimal Storage);

public sealed record AllocatedDto(decimal PerHour, decimal PerMonth);

public sealed record InstanceDto(string Name, string State, string? Host, JsonElement? Specs, decimal HourlyCost, decimal PerHour, decimal Spent, DateTimeOffset Since, string? MovedTo);

public sealed record BucketDto(string Name, string State, decimal HourlyCost, decimal PerHour, decimal Spent, DateTimeOffset Since, string? MovedTo);

public sealed record DeploymentDto(string Name, string State, int Replicas, JsonElement? Requests, decimal HourlyCost, decimal AllocatedPerMonth, DateTimeOffset Since, string? MovedTo);

public sealed record CreditsDto(decimal Funded, decimal Drawn, decimal Balance, decimal AlertBelow, DateTimeOffset? RunsOutAt, IReadOnlyList<CreditGrant> Grants)
{
    public static CreditsDto? From(CreditStatus? c) => c is null ? null : new(c.Funded, c.Drawn, c.Balance, c.AlertBelow, c.RunsOutAt, c.Grants);
}

/// <summary>A project's page: burn from its running resources, billed spend with its split, and the drill-down.</summary>
public sealed record ProjectResponse(
    string Key,
    string Name,
    bool Archived,
    string Unit,
    int InstanceCount,
    ProjectBurnDto Burn,
    SpentDto Spent,
    AllocatedDto Allocated,
    IReadOnlyList<InstanceDto> Instances,
    IReadOnlyList<BucketDto> Storage,
    IReadOnlyList<DeploymentDto> Deployments,
    IReadOnlyDictionary<string, decimal> SpentByResource,
    long EventCount,
    DateTimeOffset? FirstEventAt,
    DateTimeOffset? LastEventAt,
    long Watermark,
    BudgetResponse? Budget,
    CreditsDto? Credits,
    RunawayPolicy? Runaway)
{
    public static ProjectResponse From(ProjectDetail d)
    {
        var s = d.Summary;
        // Each resource's reported details, parsed once per response.
        var details = d.Resources.Where(r => r.DetailsJson is not null).ToDictionary(r => r.Name, r => JsonSerializer.Deserialize<JsonElement>(r.DetailsJson!));
        JsonElement? Detail(ResourceView r, string name) =>
            details.TryGetValue(r.Name, out var root) && root.TryGetProperty(name, out var value) ? value : null;
        var instances = d.Resources.Where(r => r.Type == EventType.Instance)
            .Select(r => new InstanceDto(r.Name, r.State, Detail(r, "host")?.GetString(), Detail(r, "specs"), r.HourlyRate, r.LiveRate, r.Spent, r.Since, r.MovedTo))
            .ToList();
        var buckets = d.Resources.Where(r => r.Type == EventType.Bucket)
            .Select(r => new BucketDto(r.Name, r.State, r.HourlyRate, r.LiveRate, r.Spent, r.Since, r.MovedTo))
            .ToList();
        var deployments = d.Resources.Where(r => r.Type == EventType.Deployment)
            .Select(r => new DeploymentDto(r.Name, r.State, Detail(r, "replicas")?.GetInt32() ?? 0, Detail(r, "requests"), r.HourlyRate,
                r.LiveRate * Ingest.ResourceReports.HoursPerMonth, r.Since, r.MovedTo))
            .ToList();
        return new ProjectResponse(
            s.Key, s.Name, s.Archived, s.Unit, s.InstanceCount,
            new ProjectBurnDto(s.BurnPerHour, s.BurnPerHour * 24, d.ComputePerHour, d.StoragePerHour),
            AggregateResponse.SpentOf(s),
            new AllocatedDto(d.AllocatedPerHour, d.AllocatedPerHour * Ingest.ResourceReports.HoursPerMonth),
            instances, buckets, deployments, d.SpentByResource,
            s.EventCount, s.FirstEventAt, s.LastEventAt, s.Watermark, BudgetResponse.From(s.Budget), CreditsDto.From(d.Credits), d.Runaway);
    }
}

public sealed record FundCreditsRequest(string? Id, decimal? Amount, string? Note, decimal? AlertBelow);

public sealed record PutRunawayRequest(decimal? Factor, int? TrailingDays, decimal? MinimumDailyCost);

public sealed record ProjectUsageResponse(string Project, string Month, DateOnly From, DateOnly To, string TimeZone, decimal Total,
    IReadOnlyDictionary<string, decimal> ByCategory, IReadOnlyList<ResourceUsage> Resources);

/// <summary>A project's spend: the drill-down page, month-to-date usage by resource, prepaid credits, runaway detection.</summary>
public static class ProjectSpendApi
{
    public const int MaxTrailingDays = Projects.ProjectState.MaxTrailingDays;

    public static IEndpointRouteBuilder MapProjectSpendApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/projects/{key}").WithTags("Projects");
        group.MapGet("", Detail).RequireAuthorization(Principals.CanRead).Produces<ProjectResponse>().ProducesProblem(404);
        group.MapGet("/usage", Usage).RequireAuthorization(Principals.CanRead).Produces<ProjectUsageResponse>().ProducesProblem(400).ProducesProblem(404);
        group.MapPost("/credits", FundCredits).RequireAuthorization(Principals.CanAdmin).Produces<CreditsDto>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/credits", Credits).RequireAuthorization(Principals.CanRead).Produces<CreditsDto>().ProducesProblem(404);
        group.MapPut("/runaway", PutRunaway).RequireAuthorization(Principals.CanAdmin).Produces<ProjectResponse>().ProducesProblem(400).ProducesProblem(404);
        group.MapDelete("/runaway", DeleteRunaway).RequireAuthorization(Principals.CanAdmin).Produces<ProjectResponse>().ProducesProblem(404);
        return app;
    }

    private static async Task<IResult> Detail(string key, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var (project, problem) = await Resolve(key, context, ledger, cancellationToken);
        return problem ?? TypedResults.Ok(ProjectResponse.From(await Grain(grains, project).GetDetail()));
    }

    /// <summary>Month-to-date (or <c>?month=YYYY-MM</c>) billed usage by resource; <c>tz=</c> sets the month's boundaries.</summary>
    private static async Task<IResult> Usage(string key, HttpContext context, IGrainFactory grains, ILedger ledger, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (project, problem) = await Resolve(key, context, ledger, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var zoneId = context.Request.Query["tz"].ToString() is { Length: > 0 } tz ? tz : "UTC";
        if (ReportRange.FindZone(zoneId) is not { } zone)
        {
            return Problems.TimeZone("tz", zoneId);
        }

        var range = ReportRange.FromPreset("this-month", zone, clock.GetUtcNow())!;
        if (context.Request.Query["month"].ToString() is { Length: > 0 } month && !ReportRange.TryParseMonth(month, zone, out range))
        {
            return Problems.Field("month", "A month YYYY-MM.");
        }

        var rows = await ledger.ResourceCostAsync(new CostQuery(project.Org, TargetKind.Project, [project.Key], range.Start, range.End, zone.Id), cancellationToken);
        var resources = rows
            .Select(ResourceUsage.From)
            .OrderByDescending(r => r.Amount).ThenBy(r => r.Resource, StringComparer.Ordinal)
            .ToList();
        var byCategory = resources.GroupBy(r => r.Category).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(r => r.Amount));
        return TypedResults.Ok(new ProjectUsageResponse(project.Key, range.From.ToString("yyyy-MM", CultureInfo.InvariantCulture), range.From, range.To, zone.Id,
            resources.Sum(r => r.Amount), byCategory, resources));
    }

    /// <summary>Funds prepaid credits: <c>{"id":"po-1234","amount":500,"note":"...","alertBelow":50}</c>; the same id again changes nothing.</summary>
    private static async Task<IResult> FundCredits(string key, FundCreditsRequest request, HttpContext context, IGrainFactory grains, ILedger ledger, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (request.Id is not { Length: > 0 and <= 256 })
        {
            return Problems.Field("id", "Required: 1 to 256 characters; funding with the same id twice counts once.");
        }

        if (request.Amount is not > 0)
        {
            return Problems.Field("amount", "Required: a positive amount in USD.");
        }

        if (request.AlertBelow is < 0)
        {
            return Problems.Field("alertBelow", "Must be zero or more.");
        }

        if (request.Note is { Length: > 500 })
        {
            return Problems.Field("note", "At most 500 characters.");
        }

        var (project, problem) = await Resolve(key, context, ledger, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var status = await Grain(grains, project).FundCredits(new CreditGrant(request.Id, request.Amount.Value, request.Note, clock.GetUtcNow()), request.AlertBelow);
        return TypedResults.Ok(CreditsDto.From(status));
    }

    private static async Task<IResult> Credits(string key, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var (project, problem) = await Resolve(key, context, ledger, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        return (await Grain(grains, project).GetDetail()).Credits is { } credits
            ? TypedResults.Ok(CreditsDto.From(credits))
            : Problems.NotFound($"Project '{key}' has no prepaid credits.");
    }

    /// <summary>Runaway detection: <c>{"factor":3,"trailingDays":7,"minimumDailyCost":10}</c>.</summary>
    private static async Task<IResult> PutRunaway(string key, PutRunawayRequest request, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        if (request.Factor is not > 1)
        {
            return Problems.Field("factor", "Required: how many times the trailing average a day's cost must exceed (> 1).");
        }

        if (request.TrailingDays is { } days && days is < 1 or > MaxTrailingDays)
        {
            return Problems.Field("trailingDays", $"From 1 to {MaxTrailingDays} (default 7).");
        }

        if (request.MinimumDailyCost is < 0)
        {
            return Problems.Field("minimumDailyCost", "Must be zero or more.");
        }

        var (project, problem) = await Resolve(key, context, ledger, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var policy = new RunawayPolicy(request.Factor.Value, request.TrailingDays ?? 7, request.MinimumDailyCost ?? 0m);
        return TypedResults.Ok(ProjectResponse.From(await Grain(grains, project).SetRunaway(policy)));
    }

    private static async Task<IResult> DeleteRunaway(string key, HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var (project, problem) = await Resolve(key, context, ledger, cancellationToken);
        return problem ?? TypedResults.Ok(ProjectResponse.From(await Grain(grains, project).SetRunaway(null)));
    }

    private static IProjectGrain Grain(IGrainFactory grains, TargetRef project) => grains.GetGrain<IProjectGrain>(project.GrainKey);

    private static async Task<(TargetRef Project, IResult? Problem)> Resolve(string key, HttpContext context, ILedger ledger, CancellationToken cancellationToken)
    {
        var project = new TargetRef(TargetKind.Project, context.Org(), key);
        return await ledger.GetTargetAsync(project, cancellationToken) is null
            ? (project, Problems.NotFound($"Project '{key}' does not exist."))
            : (project, null);
    }
}
