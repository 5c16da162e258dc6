using System.Security.Claims;

namespace CostGrains.Server.Auth;

/// <summary>Claims and policies of CostGrains callers.</summary>
public static class Principals
{
    public const string Scheme = "ApiKey";
    public const string OrgClaim = "cg:org";
    public const string RoleClaim = "cg:role";
    public const string PlatformRole = "platform";

    /// <summary>Send events: ingest keys, org admins, the platform administrator.</summary>
    public const string CanIngest = "ingest";

    /// <summary>Read an organization: members, org admins, the platform administrator.</summary>
    public const string CanRead = "read";

    /// <summary>Manage an organization: org admins and the platform administrator.</summary>
    public const string CanAdmin = "admin";

    /// <summary>Create organizations: the platform administrator only.</summary>
    public const string CanManagePlatform = "platform";

    public static bool IsPlatformAdmin(this ClaimsPrincipal user) => user.HasClaim(RoleClaim, PlatformRole);

    public static string? KeyOrg(this ClaimsPrincipal user) => user.FindFirstValue(OrgClaim);

    public static string? Role(this ClaimsPrincipal user) => user.FindFirstValue(RoleClaim);
}
