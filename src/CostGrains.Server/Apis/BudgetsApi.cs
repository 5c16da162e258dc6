using CostGrains.Aggregates;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record PutBudgetRequest(decimal? Limit, string? Period, IReadOnlyList<decimal>? Thresholds);

public sealed record BudgetResponse(decimal Limit, string Period, IReadOnlyList<decimal> Thresholds, string CurrentPeriod, decimal Used, decimal PercentUsed, string State)
{
    public static BudgetResponse? From(BudgetStatus? b) => b is null ? null
        : new(b.Limit, b.Period.ToString().ToLowerInvariant(), b.Thresholds, b.CurrentPeriod, b.Used, b.PercentUsed, b.State);
}

/// <summary>Budgets on any aggregate, and the organization's alert log.</summary>
public static class BudgetsApi
{
    public const int MaxThresholds = 10;

    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        foreach (var (segment, kind) in new[] { ("projects", TargetKind.Project), ("allocations", TargetKind.Allocation), ("workspaces", TargetKind.Workspace) })
        {
            app.MapPut($"/v1/{segment}/{{key}}/budget", (string key, PutBudgetRequest request, HttpContext context, IGrainFactory grains) =>
                Put(kind, key, request, context, grains)).RequireAuthorization(Principals.CanAdmin).WithTags("Budgets");
            app.MapDelete($"/v1/{segment}/{{key}}/budget", (string key, HttpContext context, IGrainFactory grains) =>
                Delete(kind, key, context, grains)).RequireAuthorization(Principals.CanAdmin).WithTags("Budgets");
        }

        app.MapGet("/v1/alerts", ListAlerts).RequireAuthorization(Principals.CanRead).WithTags("Budgets");
        return app;
    }

    private static async Task<Results<Ok<BudgetResponse>, ProblemHttpResult>> Put(
        TargetKind kind, string key, PutBudgetRequest request, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        if (!Ingest.UsageEventParser.IsValidKey(key))
        {
            return Problems.Field("key", "Not a valid key.");
        }

        if (request.Limit is not > 0)
        {
            return Problems.Field("limit", "Required: a number greater than zero, in the aggregate's unit.");
        }

        var period = kind == TargetKind.Allocation ? BudgetPeriod.Lifetime : BudgetPeriod.Monthly;
        if (request.Period is not null && !Enum.TryParse(request.Period, ignoreCase: true, out period) || !Enum.IsDefined(period))
        {
            return Problems.Field("period", "Must be 'monthly' or 'lifetime'.");
        }

        var thresholds = request.Thresholds ?? BudgetPolicy.DefaultThresholds;
        if (thresholds.Count is 0 or > MaxThresholds || thresholds.Any(t => t is <= 0 or > 1000) || thresholds.Distinct().Count() != thresholds.Count)
        {
            return Problems.Field("thresholds", $"1 to {MaxThresholds} distinct percentages above 0 and at most 1000, e.g. [50, 80, 100].");
        }

        var snapshot = await AggregateGrains.Get(grains, new TargetRef(kind, org, key))
            .SetBudget(new BudgetPolicy(request.Limit.Value, period, thresholds.Order().ToArray()));
        return TypedResults.Ok(BudgetResponse.From(snapshot.Budget)!);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(TargetKind kind, string key, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        await AggregateGrains.Get(grains, new TargetRef(kind, org, key)).SetBudget(null);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<IEnumerable<AlertMessage>>, ProblemHttpResult>> ListAlerts(
        HttpContext context, IGrainFactory grains, int? limit)
    {
        var org = context.Org();

        if (limit is < 1 or > 1000)
        {
            return Problems.Field("limit", "Between 1 and 1000.");
        }

        var alerts = await grains.GetGrain<IAlertLogGrain>(org).List(limit ?? 100);
        return TypedResults.Ok(alerts.Select(AlertMessage.From));
    }
}
