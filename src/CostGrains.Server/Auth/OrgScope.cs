namespace CostGrains.Server.Auth;

/// <summary>
/// The organization a request acts on: the key's own organization, or for the platform
/// administrator the <c>org</c> query parameter. Endpoints that act on one organization sit in a
/// group with <see cref="RequireOrg{TBuilder}"/>, and their handlers read it with <see cref="Org"/>.
/// </summary>
public static class OrgScope
{
    /// <summary>The organization of the request, or null when the platform administrator named none.</summary>
    public static string? Resolve(HttpContext context)
    {
        var user = context.User;
        if (!user.IsPlatformAdmin())
        {
            return user.KeyOrg();
        }

        var org = context.Request.Query["org"].ToString();
        return org.Length == 0 ? null : org;
    }

    /// <summary>The organization of a request that passed <see cref="RequireOrg{TBuilder}"/>.</summary>
    public static string Org(this HttpContext context) =>
        Resolve(context) ?? throw new InvalidOperationException("This endpoint is not in a RequireOrg() group.");

    /// <summary>Answers 400 (problem+json naming <c>org</c>) when the request names no organization.</summary>
    public static TBuilder RequireOrg<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) => Resolve(invocation.HttpContext) is null
            ? Problems.Field("org", "The platform administrator names the organization with the 'org' query parameter.")
            : await next(invocation));

    /// <summary>Whether the caller may act on <paramref name="org"/> named in the path.</summary>
    public static bool Covers(HttpContext context, string org) =>
        context.User.IsPlatformAdmin() || context.User.KeyOrg() == org;
}
