using CostGrains.Ingest;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record SkuRateDto(string? From, decimal? Price);

public sealed record PutSkuRequest(string? Unit, string? Category, IReadOnlyList<SkuRateDto?>? Rates);

public sealed record SkuRateResponse(DateTimeOffset From, decimal Price);

public sealed record SkuResponse(string Code, string Unit, string Category, IReadOnlyList<SkuRateResponse> Rates)
{
    public static SkuResponse From(Sku sku) =>
        new(sku.Code, sku.Unit, sku.Category, sku.Rates.Select(r => new SkuRateResponse(r.From, r.Price)).ToList());
}

public static class SkusApi
{
    public static IEndpointRouteBuilder MapSkusApi(this IEndpointRouteBuilder app)
    {
        var skus = app.MapGroup("/v1/skus").WithTags("Price book");
        skus.MapPut("/{code}", PutSku).RequireAuthorization(Principals.CanAdmin);
        skus.MapGet("/{code}", GetSku).RequireAuthorization(Principals.CanRead);
        skus.MapGet("/", ListSkus).RequireAuthorization(Principals.CanRead);
        return app;
    }

    private static async Task<Results<Ok<SkuResponse>, ProblemHttpResult>> PutSku(
        string code, PutSkuRequest request, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        if (!UsageEventParser.IsValidKey(code))
        {
            return Problems.Field("code", "Must be 1 to 200 letters, digits or . _ : @ - (starting with a letter or digit).");
        }

        if (request.Unit is not { Length: > 0 and <= 64 } unit || !UsageEventParser.KeyPattern().IsMatch(unit))
        {
            return Problems.Field("unit", "Required: 'USD' or a custom unit such as 'core-hours'.");
        }

        var category = request.Category ?? UsageRater.DefaultCategory;
        if (category.Length is 0 or > 64 || !UsageEventParser.KeyPattern().IsMatch(category))
        {
            return Problems.Field("category", "Must be a key such as 'compute', 'storage' or 'ai'.");
        }

        if (request.Rates is not { Count: > 0 })
        {
            return Problems.Field("rates", "At least one rate {\"from\", \"price\"} is required.");
        }

        var rates = new List<SkuRate>();
        for (var i = 0; i < request.Rates.Count; i++)
        {
            var rate = request.Rates[i];
            if (!UsageEventParser.TryParseTime(rate?.From, out var from))
            {
                return Problems.Field($"rates[{i}].from", "Must be an RFC 3339 time with an offset.");
            }

            if (rate!.Price is not { } price || price < 0)
            {
                return Problems.Field($"rates[{i}].price", "Required: a number, zero or more.");
            }

            if (rates.Any(r => r.From == from))
            {
                return Problems.Field($"rates[{i}].from", "Two rates start at the same time.");
            }

            rates.Add(new SkuRate(from.ToUniversalTime(), price));
        }

        var stored = await grains.GetGrain<IOrganizationGrain>(org).PutSku(new Sku(code, unit, category, rates));
        return TypedResults.Ok(SkuResponse.From(stored));
    }

    private static async Task<Results<Ok<SkuResponse>, ProblemHttpResult>> GetSku(string code, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        var sku = await grains.GetGrain<IOrganizationGrain>(org).GetSku(code);
        return sku is null ? Problems.NotFound($"SKU '{code}' does not exist.") : TypedResults.Ok(SkuResponse.From(sku));
    }

    private static async Task<Results<Ok<IEnumerable<SkuResponse>>, ProblemHttpResult>> ListSkus(HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        var skus = await grains.GetGrain<IOrganizationGrain>(org).GetSkus();
        return TypedResults.Ok(skus.Select(SkuResponse.From));
    }
}
