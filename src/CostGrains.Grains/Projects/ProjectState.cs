using System.Globalization;

namespace CostGrains.Projects;

/// <summary>One resource of a project: its latest reported state and rate, and what it was billed.</summary>
[GenerateSerializer]
public sealed class ResourceEntry
{
    [Id(0)] public EventType Type { get; set; }

    [Id(1)] public string State { get; set; } = "";

    /// <summary>The hourly rate of the latest report that priced it.</summary>
    [Id(2)] public decimal HourlyRate { get; set; }

    [Id(3)] public string? DetailsJson { get; set; }

    /// <summary>The time of the latest report (or of the move to another project).</summary>
    [Id(4)] public DateTimeOffset Since { get; set; }

    [Id(5)] public string? MovedTo { get; set; }

    /// <summary>Whether it counts in burn now: a running instance, an active bucket or deployment.</summary>
    public bool IsLive => MovedTo is null && State is ResourceStates.Running or ResourceStates.Active;

    public decimal LiveRate => IsLive ? HourlyRate : 0m;
}

/// <summary>
/// What a project keeps beyond the totals every aggregate has: its resources (the burn is made of
/// them), billed spend per resource, daily cost for runaway detection, and prepaid credits.
/// </summary>
[GenerateSerializer]
public sealed class ProjectState
{
    /// <summary>The longest trailing window runaway detection may average over.</summary>
    public const int MaxTrailingDays = 90;

    /// <summary>Days of daily cost kept for runaway detection.</summary>
    public const int DaysKept = MaxTrailingDays + 1;

    [Id(0)] public Dictionary<string, ResourceEntry> Resources { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public Dictionary<string, decimal> SpentByResource { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Resources reported since the directory last heard from this project.</summary>
    [Id(2)] public HashSet<string> PendingClaims { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Billed cost per UTC day (days since 0001-01-01), the last <see cref="DaysKept"/> days.</summary>
    [Id(3)] public Dictionary<int, decimal> DailyCost { get; set; } = [];

    [Id(4)] public RunawayPolicy? Runaway { get; set; }

    /// <summary>Days whose runaway alert has fired.</summary>
    [Id(5)] public HashSet<int> RunawayFired { get; set; } = [];

    [Id(6)] public Credits? Credits { get; set; }

    /// <summary>Resources this project took over whose previous project has not released them yet.</summary>
    [Id(7)] public List<ResourceMove> PendingReleases { get; set; } = [];

    public static int DayOf(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime).DayNumber;

    public static string DayText(int day) => DateOnly.FromDayNumber(day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>
    /// Applies a resource report unless a later report of the same resource is already in (reports
    /// may arrive out of order); true when the resource's state changed.
    /// </summary>
    public bool Report(string name, DateTimeOffset time, ResourceChange change)
    {
        if (Resources.TryGetValue(name, out var entry) && time < entry.Since)
        {
            return false;
        }

        entry ??= Resources[name] = new ResourceEntry();
        entry.Type = change.Type;
        entry.State = change.State;
        entry.HourlyRate = change.HourlyRate ?? entry.HourlyRate;
        entry.DetailsJson = change.DetailsJson ?? entry.DetailsJson;
        entry.Since = time;
        entry.MovedTo = null;
        PendingClaims.Add(name);
        return true;
    }

    /// <summary>Stops counting a resource that another project reported at <paramref name="at"/> or later.</summary>
    public bool Release(string name, string movedTo, DateTimeOffset at)
    {
        if (!Resources.TryGetValue(name, out var entry) || entry.Since > at || entry.MovedTo == movedTo)
        {
            return false;
        }

        entry.MovedTo = movedTo;
        entry.Since = at;
        PendingClaims.Remove(name);
        return true;
    }

    public void Bill(UsageRecord record)
    {
        if (record.Resource is not null)
        {
            SpentByResource[record.Resource] = SpentByResource.GetValueOrDefault(record.Resource) + record.Amount;
        }

        var day = DayOf(record.Time);
        DailyCost[day] = DailyCost.GetValueOrDefault(day) + record.Amount;
        if (DailyCost.Count > DaysKept + 7)
        {
            var oldest = DailyCost.Keys.Max() - DaysKept;
            foreach (var old in DailyCost.Keys.Where(d => d < oldest).ToList())
            {
                DailyCost.Remove(old);
                RunawayFired.Remove(old);
            }
        }
    }

    /// <summary>
    /// The average daily cost of the <paramref name="days"/> days before <paramref name="day"/>, over the
    /// days since the project's first billed day (a new project is not compared with days it did
    /// not exist); null when there is no such day.
    /// </summary>
    public decimal? TrailingAverage(int day, int days, int firstDay)
    {
        var from = Math.Max(day - days, firstDay);
        if (from >= day)
        {
            return null;
        }

        var sum = 0m;
        for (var d = from; d < day; d++)
        {
            sum += DailyCost.GetValueOrDefault(d);
        }

        return sum / (day - from);
    }

    public decimal ComputePerHour => Resources.Values.Where(r => r.Type == EventType.Instance).Sum(r => r.LiveRate);

    public decimal StoragePerHour => Resources.Values.Where(r => r.Type == EventType.Bucket).Sum(r => r.LiveRate);

    public decimal AllocatedPerHour => Resources.Values.Where(r => r.Type == EventType.Deployment).Sum(r => r.LiveRate);

    /// <summary>Current burn: running instances plus active buckets' warm-storage rates.</summary>
    public decimal BurnPerHour => Resources.Count == 0 ? 0m : ComputePerHour + StoragePerHour;

    public int InstanceCount => Resources.Values.Count(r => r.Type == EventType.Instance && r.IsLive);
}

/// <summary>
/// Prepaid credits: grants add to the pool, and every billed amount applied after a grant draws it
/// down until it is used up (in ledger order, so a replay draws exactly the same).
/// </summary>
[GenerateSerializer]
public sealed class Credits
{
    /// <summary>The low-balance alert fires at this share of the funded total unless set.</summary>
    public const decimal DefaultAlertShare = 0.10m;

    [Id(0)] public List<CreditGrant> Grants { get; set; } = [];

    [Id(1)] public decimal Drawn { get; set; }

    [Id(2)] public decimal? AlertBelow { get; set; }

    /// <summary>Ids of the credit alerts already announced.</summary>
    [Id(3)] public HashSet<string> Fired { get; set; } = new(StringComparer.Ordinal);

    public decimal Funded => Grants.Sum(g => g.Amount);

    public decimal Balance => Funded - Drawn;

    public decimal LowMark => AlertBelow ?? Math.Round(Funded * DefaultAlertShare, 2);

    /// <summary>Draws a billed amount down; returns how much the credits covered.</summary>
    public decimal Draw(decimal amount)
    {
        if (amount <= 0)
        {
            return 0m;
        }

        var covered = Math.Min(amount, Balance);
        Drawn += covered;
        return covered;
    }

    public CreditStatus Status(decimal burnPerHour, DateTimeOffset now)
    {
        var balance = Balance;
        DateTimeOffset? runsOut = burnPerHour > 0 && balance > 0
            ? now.AddHours((double)Math.Min(balance / burnPerHour, 24m * 365 * 100))
            : null;
        return new CreditStatus(Funded, Drawn, balance, LowMark, runsOut, Grants.ToList());
    }
}
