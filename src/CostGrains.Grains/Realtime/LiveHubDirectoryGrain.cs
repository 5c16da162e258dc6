namespace CostGrains.Realtime;

/// <summary>
/// Which silos have a hub. Silos re-register every few seconds; an entry not refreshed for
/// <see cref="Expiry"/> (its silo died) is dropped. Kept in memory only: a restart rebuilds it
/// within one refresh period.
/// </summary>
public sealed class LiveHubDirectoryGrain : Grain, ILiveHubDirectoryGrain
{
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(30);

    private readonly Dictionary<string, (ILiveHub Hub, DateTime Seen)> _hubs = [];

    public Task Register(string siloId, ILiveHub hub)
    {
        _hubs[siloId] = (hub, DateTime.UtcNow);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ILiveHub>> GetHubs()
    {
        var cutoff = DateTime.UtcNow - Expiry;
        foreach (var stale in _hubs.Where(h => h.Value.Seen < cutoff).Select(h => h.Key).ToList())
        {
            _hubs.Remove(stale);
        }

        return Task.FromResult<IReadOnlyList<ILiveHub>>(_hubs.Values.Select(h => h.Hub).ToList());
    }
}
