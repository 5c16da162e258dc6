namespace CostGrains;

/// <summary>
/// What an event reports. <see cref="Usage"/> is billed usage (the default); the others report the
/// state of a project's resource — they carry no cost, only the live rate that burn is made of.
/// </summary>
public enum EventType : short
{
    Usage = 0,
    Instance = 1,
    Bucket = 2,
    Deployment = 3,
}

public static class EventTypes
{
    /// <summary>The type as the API spells it: usage, instance, bucket, deployment.</summary>
    public static string Name(this EventType type) => type switch
    {
        EventType.Usage => "usage",
        EventType.Instance => "instance",
        EventType.Bucket => "bucket",
        EventType.Deployment => "deployment",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static bool TryParse(string text, out EventType type)
    {
        foreach (var candidate in Enum.GetValues<EventType>())
        {
            if (candidate.Name() == text)
            {
                type = candidate;
                return true;
            }
        }

        type = default;
        return false;
    }

    /// <summary>The states an agent may report for a resource of the type; the first is the default.</summary>
    public static IReadOnlyList<string> States(this EventType type) => type switch
    {
        EventType.Instance => ResourceStates.InstanceStates,
        EventType.Bucket or EventType.Deployment => ResourceStates.ActiveStates,
        _ => [],
    };
}

public static class ResourceStates
{
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Active = "active";
    public const string Deleted = "deleted";

    /// <summary>A resource whose latest report came from another project.</summary>
    public const string Moved = "moved";

    public static readonly IReadOnlyList<string> InstanceStates = [Running, Stopped, Deleted];
    public static readonly IReadOnlyList<string> ActiveStates = [Active, Deleted];
}

/// <summary>
/// A resource state change as the ledger stores it: the reported state, the hourly rate in force
/// then (priced at ingest, like usage; null when the report gave no price, which keeps the last
/// known rate) and the reported details (specs, host, replicas, requests) as a JSON object.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ResourceChange(
    [property: Id(0)] EventType Type,
    [property: Id(1)] string State,
    [property: Id(2)] decimal? HourlyRate,
    [property: Id(3)] string? DetailsJson);

/// <summary>One resource of a project as its drill-down shows it.</summary>
[GenerateSerializer, Immutable]
public sealed record ResourceView(
    [property: Id(0)] string Name,
    [property: Id(1)] EventType Type,
    [property: Id(2)] string State,
    [property: Id(3)] decimal HourlyRate,
    [property: Id(4)] decimal LiveRate,
    [property: Id(5)] decimal Spent,
    [property: Id(6)] DateTimeOffset Since,
    [property: Id(7)] string? DetailsJson,
    [property: Id(8)] string? MovedTo);

/// <summary>Prepaid credits of a project: funded, drawn down by its spend, and what is left.</summary>
[GenerateSerializer, Immutable]
public sealed record CreditStatus(
    [property: Id(0)] decimal Funded,
    [property: Id(1)] decimal Drawn,
    [property: Id(2)] decimal Balance,
    [property: Id(3)] decimal AlertBelow,
    [property: Id(4)] DateTimeOffset? RunsOutAt,
    [property: Id(5)] IReadOnlyList<CreditGrant> Grants);

/// <summary>One funding of a project's credits; its id makes funding idempotent.</summary>
[GenerateSerializer, Immutable]
public sealed record CreditGrant(
    [property: Id(0)] string Id,
    [property: Id(1)] decimal Amount,
    [property: Id(2)] string? Note,
    [property: Id(3)] DateTimeOffset At);

/// <summary>
/// Runaway detection: alert when a day's cost exceeds <see cref="Factor"/> times the average of the
/// <see cref="TrailingDays"/> days before it, and is at least <see cref="MinimumDailyCost"/>.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunawayPolicy(
    [property: Id(0)] decimal Factor,
    [property: Id(1)] int TrailingDays,
    [property: Id(2)] decimal MinimumDailyCost);

/// <summary>A project's drill-down: everything its page shows, served from the grain's memory.</summary>
[GenerateSerializer, Immutable]
public sealed record ProjectDetail(
    [property: Id(0)] AggregateSnapshot Summary,
    [property: Id(1)] decimal ComputePerHour,
    [property: Id(2)] decimal StoragePerHour,
    [property: Id(3)] decimal AllocatedPerHour,
    [property: Id(4)] IReadOnlyList<ResourceView> Resources,
    [property: Id(5)] CreditStatus? Credits,
    [property: Id(6)] RunawayPolicy? Runaway,
    [property: Id(7)] IReadOnlyDictionary<string, decimal> SpentByResource);

/// <summary>A project's report of a resource, as the resource directory records it.</summary>
[GenerateSerializer, Immutable]
public sealed record ResourceClaim(
    [property: Id(0)] string Resource,
    [property: Id(1)] DateTimeOffset At);

/// <summary>The project that must stop counting a resource, because <see cref="MovedTo"/> reported it later.</summary>
[GenerateSerializer, Immutable]
public sealed record ResourceMove(
    [property: Id(0)] string Resource,
    [property: Id(1)] string Release,
    [property: Id(2)] string MovedTo,
    [property: Id(3)] DateTimeOffset At);

/// <summary>
/// Who holds each resource of an organization now (the project with the latest report). Moving a
/// resource to another project releases it from its old one; past usage stays where it was billed.
/// Keyed <c>{org}/{shard}</c>: an organization's resources are spread over a fixed number of shards
/// by a stable hash of their name, so no one grain holds (and rewrites) all of them.
/// </summary>
[Alias("CostGrains.IResourceDirectoryGrain")]
public interface IResourceDirectoryGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records the project's reports; returns, for each resource that changed hands, which project
    /// must release it — the previous holder, or the claimer itself when its report is older.
    /// </summary>
    [Alias("Claim")]
    Task<IReadOnlyList<ResourceMove>> Claim(string project, IReadOnlyList<ResourceClaim> claims);
}
