using CostGrains.Ingest;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record CreateOrganizationRequest(string? Key, string? Name);

public sealed record OrganizationResponse(string Key, string Name, DateTimeOffset CreatedAt);

public sealed record CreateKeyRequest(string? Role);

public sealed record CreateKeyResponse(string Key, string Role);

public static class OrganizationsApi
{
    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var orgs = app.MapGroup("/v1/orgs").WithTags("Organizations");
        orgs.MapPost("/", CreateOrganization).RequireAuthorization(Principals.CanManagePlatform);
        orgs.MapGet("/{org}", GetOrganization).RequireAuthorization(Principals.CanRead);
        orgs.MapPost("/{org}/keys", CreateKey).RequireAuthorization(Principals.CanAdmin);
        return app;
    }

    private static async Task<Results<Created<OrganizationResponse>, ProblemHttpResult>> CreateOrganization(
        CreateOrganizationRequest request, IGrainFactory grains)
    {
        if (!IsOrgKey(request.Key))
        {
            return Problems.Field("key", "Required: 1 to 63 lower-case letters, digits or '-', starting with a letter or digit.");
        }

        var name = string.IsNullOrWhiteSpace(request.Name) ? request.Key! : request.Name.Trim();
        if (name.Length > 200)
        {
            return Problems.Field("name", "At most 200 characters.");
        }

        var org = grains.GetGrain<IOrganizationGrain>(request.Key!);
        if (!await org.Create(name))
        {
            return Problems.Conflict($"Organization '{request.Key}' already exists.");
        }

        var info = (await org.GetInfo())!;
        return TypedResults.Created($"/v1/orgs/{info.Key}", new OrganizationResponse(info.Key, info.Name, info.CreatedAt));
    }

    private static async Task<Results<Ok<OrganizationResponse>, ProblemHttpResult>> GetOrganization(
        string org, HttpContext context, IGrainFactory grains)
    {
        var info = OrgScope.Covers(context, org) ? await grains.GetGrain<IOrganizationGrain>(org).GetInfo() : null;
        return info is null
            ? Problems.NotFound($"Organization '{org}' does not exist.")
            : TypedResults.Ok(new OrganizationResponse(info.Key, info.Name, info.CreatedAt));
    }

    private static async Task<Results<Created<CreateKeyResponse>, ProblemHttpResult>> CreateKey(
        string org, CreateKeyRequest request, HttpContext context, IGrainFactory grains, ApiKeys keys)
    {
        if (!OrgScope.Covers(context, org))
        {
            return Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", $"This key may not manage organization '{org}'.");
        }

        if (!Enum.TryParse<KeyRole>(request.Role, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(request.Role, out _))
        {
            return Problems.Field("role", "Must be 'admin', 'member' or 'ingest'.");
        }

        if (await grains.GetGrain<IOrganizationGrain>(org).GetInfo() is null)
        {
            return Problems.NotFound($"Organization '{org}' does not exist.");
        }

        var secret = await keys.IssueAsync(org, role);
        var roleName = role.ToString().ToLowerInvariant();
        return TypedResults.Created($"/v1/orgs/{org}/keys", new CreateKeyResponse(secret, roleName));
    }

    private static bool IsOrgKey(string? key) =>
        key is { Length: > 0 and <= 63 } && key.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-') && key[0] != '-'
        && UsageEventParser.IsValidKey(key);
}
