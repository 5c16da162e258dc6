using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Auth;

/// <summary>
/// The organization a request acts on: the key's own organization, or for the platform
/// administrator the <c>org</c> query parameter.
/// </summary>
public static class OrgScope
{
    public static bool TryResolve(HttpContext context, out string org, out ProblemHttpResult? problem)
    {
        problem = null;
        var user = context.User;
        if (!user.IsPlatformAdmin())
        {
            org = user.KeyOrg()!;
            return true;
        }

        org = context.Request.Query["org"].ToString();
        if (org.Length == 0)
        {
            problem = Problems.Field("org", "The platform administrator names the organization with the 'org' query parameter.");
            return false;
        }

        return true;
    }

    /// <summary>Whether the caller may act on <paramref name="org"/> named in the path.</summary>
    public static bool Covers(HttpContext context, string org) =>
        context.User.IsPlatformAdmin() || context.User.KeyOrg() == org;
}
