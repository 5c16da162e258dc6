using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CostGrains.Server.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> (or <c>access_token</c> on the SignalR hub)
/// and answers 401/403 as problem+json.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeys keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = BearerToken();
        if (secret is null)
        {
            return AuthenticateResult.NoResult();
        }

        var (known, key) = await keys.ResolveAsync(secret);
        if (!known)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

        var claims = key is null
            ? new[] { new Claim(Principals.RoleClaim, Principals.PlatformRole) }
            : [new Claim(Principals.RoleClaim, key.Role.ToString().ToLowerInvariant()), new Claim(Principals.OrgClaim, key.Org)];
        var identity = new ClaimsIdentity(claims, Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            BearerToken() is null
                ? "Send 'Authorization: Bearer <key>'."
                : "The API key is not known.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Write(Context, StatusCodes.Status403Forbidden, "Forbidden",
            $"A key with role '{Context.User.Role()}' may not do this.");

    private string? BearerToken()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return token.Length > 0 ? token : null;
        }

        // WebSocket and SSE clients cannot set headers: the hub accepts the key as access_token.
        if (Request.Path.StartsWithSegments("/hubs") && Request.Query["access_token"].ToString() is { Length: > 0 } queryToken)
        {
            return queryToken;
        }

        return null;
    }
}
