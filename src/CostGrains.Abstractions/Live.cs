namespace CostGrains;

/// <summary>A live change of an aggregate's burn and total, pushed to subscribed clients.</summary>
[GenerateSerializer, Immutable]
public sealed record BurnUpdate(
    [property: Id(0)] TargetKind Kind,
    [property: Id(1)] string Org,
    [property: Id(2)] string Key,
    [property: Id(3)] decimal PerHour,
    [property: Id(4)] decimal Total,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] decimal? CreditBalance = null);

/// <summary>A silo's SignalR hub, as every silo's live outbox reaches it.</summary>
[Alias("CostGrains.ILiveHub")]
public interface ILiveHub : IGrainObserver
{
    /// <summary>Coalesced burn updates and every budget crossing (never coalesced).</summary>
    [Alias("Send")]
    Task Send(IReadOnlyList<BurnUpdate> updates, IReadOnlyList<BudgetAlert> crossings);
}

/// <summary>The hubs of every silo in the cluster (one instance, key 0).</summary>
[Alias("CostGrains.ILiveHubDirectoryGrain")]
public interface ILiveHubDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Registers (or refreshes) a silo's hub; entries not refreshed expire.</summary>
    [Alias("Register")]
    Task Register(string siloId, ILiveHub hub);

    [Alias("GetHubs")]
    Task<IReadOnlyList<ILiveHub>> GetHubs();
}
