using CostGrains.Aggregates;
using CostGrains.Ledger;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record ReconciliationMismatch(string Kind, string Key, decimal LedgerTotal, long LedgerEvents, decimal GrainTotal, long GrainEvents);

public sealed record ReconciliationResponse(
    bool Consistent, int Aggregates, decimal LedgerTotal, long LedgerEvents, IReadOnlyList<ReconciliationMismatch> Mismatches);

/// <summary>
/// Proves "totals are a fold of the ledger": every aggregate's in-memory totals against the
/// ledger's SUM over its rows. An aggregate still catching up shows as a mismatch until it has.
/// </summary>
public static class ReconciliationApi
{
    public static IEndpointRouteBuilder MapReconciliationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/reconciliation", Reconcile).RequireAuthorization(Principals.CanAdmin).WithTags("Operations");
        return app;
    }

    private static async Task<Results<Ok<ReconciliationResponse>, ProblemHttpResult>> Reconcile(
        HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var org = context.Org();

        var sums = await ledger.SumByTargetAsync(org, cancellationToken);
        var snapshots = await Task.WhenAll(sums.Select(s => AggregateGrains.Get(grains, s.Target).GetSnapshot()));
        var mismatches = sums.Zip(snapshots)
            .Where(p => p.First.Total != p.Second.Total || p.First.EventCount != p.Second.EventCount)
            .Select(p => new ReconciliationMismatch(
                p.First.Target.Kind.Name(), p.First.Target.Key,
                p.First.Total, p.First.EventCount, p.Second.Total, p.Second.EventCount))
            .ToList();
        return TypedResults.Ok(new ReconciliationResponse(
            mismatches.Count == 0, sums.Count, sums.Sum(s => s.Total), sums.Sum(s => s.EventCount), mismatches));
    }
}
