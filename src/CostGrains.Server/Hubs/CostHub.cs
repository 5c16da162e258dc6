using CostGrains.Ingest;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CostGrains.Server.Hubs;

/// <summary>
/// <c>/hubs/cost</c>: clients subscribe to aggregates of their organization and receive
/// <c>burn</c> messages. Same bearer keys as the API (<c>access_token</c> for WebSockets); the
/// platform administrator names the organization with the <c>org</c> query parameter.
/// </summary>
[Authorize(Policy = Principals.CanRead)]
public sealed class CostHub : Hub
{
    public const string Path = "/hubs/cost";

    private static readonly HashSet<string> Kinds = Enum.GetValues<TargetKind>().Select(k => k.Name()).ToHashSet();

    public static string Group(TargetKind kind, string org, string key) => $"{kind.Name()}:{org}/{key}";

    public Task Subscribe(string kind, string key) =>
        Groups.AddToGroupAsync(Context.ConnectionId, GroupFor(kind, key));

    public Task Unsubscribe(string kind, string key) =>
        Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupFor(kind, key));

    private string GroupFor(string kind, string key)
    {
        if (!Kinds.Contains(kind))
        {
            throw new HubException("kind must be 'project', 'allocation' or 'workspace'.");
        }

        if (!UsageEventParser.IsValidKey(key))
        {
            throw new HubException("key is not a valid key.");
        }

        return $"{kind}:{Org()}/{key}";
    }

    private string Org()
    {
        var user = Context.User!;
        var requested = Context.GetHttpContext()?.Request.Query["org"].ToString();
        if (user.IsPlatformAdmin())
        {
            return string.IsNullOrEmpty(requested)
                ? throw new HubException("The platform administrator names the organization with the 'org' query parameter.")
                : requested;
        }

        var own = user.KeyOrg()!;
        if (!string.IsNullOrEmpty(requested) && requested != own)
        {
            throw new HubException($"This key may not read organization '{requested}'.");
        }

        return own;
    }
}
