using System.Globalization;

namespace CostGrains;

/// <summary>How a budget's usage is counted.</summary>
public enum BudgetPeriod
{
    /// <summary>Per calendar month (UTC) of the events' time.</summary>
    Monthly,

    /// <summary>All usage ever (typical for allocations).</summary>
    Lifetime,
}

/// <summary>A budget: a limit per period and the percentages at which to alert.</summary>
[GenerateSerializer, Immutable]
public sealed record BudgetPolicy(
    [property: Id(0)] decimal Limit,
    [property: Id(1)] BudgetPeriod Period,
    [property: Id(2)] IReadOnlyList<decimal> Thresholds)
{
    public static readonly IReadOnlyList<decimal> DefaultThresholds = [50m, 80m, 100m];

    /// <summary>The period an event at <paramref name="time"/> counts in: "2026-11" or "lifetime".</summary>
    public string PeriodOf(DateTimeOffset time) => Period == BudgetPeriod.Lifetime ? "lifetime" : MonthKey(time);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> MonthKeys = new();

    /// <summary>"yyyy-MM" of the UTC time, formatted once per month rather than once per event.</summary>
    public static string MonthKey(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return MonthKeys.GetOrAdd(utc.Year * 100 + utc.Month,
            static ym => $"{(ym / 100).ToString("D4", CultureInfo.InvariantCulture)}-{(ym % 100).ToString("D2", CultureInfo.InvariantCulture)}");
    }
}

/// <summary>A budget threshold crossing, as stored and announced (once).</summary>
[GenerateSerializer, Immutable]
public sealed record BudgetAlert(
    [property: Id(0)] string Id,
    [property: Id(1)] TargetKind Kind,
    [property: Id(2)] string Org,
    [property: Id(3)] string Key,
    [property: Id(4)] string Period,
    [property: Id(5)] decimal Threshold,
    [property: Id(6)] decimal PercentUsed,
    [property: Id(7)] decimal Used,
    [property: Id(8)] decimal Limit,
    [property: Id(9)] string TriggeredBy,
    [property: Id(10)] DateTimeOffset At,
    [property: Id(11)] string? Type = null)
{
    /// <summary>budget (a threshold crossed), runaway (a daily cost jump), credits-low or credits-exhausted.</summary>
    public string AlertType => Type ?? AlertTypes.Budget;
}

/// <summary>
/// An alert as every outlet shows it — the alert log API, the hub's <c>budgetCrossed</c> and
/// <c>alert</c> messages and webhook bodies — so one shape is documented once.
/// </summary>
public sealed record AlertMessage(
    string Id, string Type, string Kind, string Key, string Period, decimal Threshold, decimal PercentUsed,
    decimal Used, decimal Limit, string TriggeredBy, DateTimeOffset At)
{
    public static AlertMessage From(BudgetAlert a) => new(
        a.Id, a.AlertType, a.Kind.Name(), a.Key, a.Period, a.Threshold, a.PercentUsed, a.Used, a.Limit, a.TriggeredBy, a.At);
}

/// <summary>The kinds of alert the alert engine records and announces (once each).</summary>
public static class AlertTypes
{
    public const string Budget = "budget";
    public const string Runaway = "runaway";
    public const string CreditsLow = "credits-low";
    public const string CreditsExhausted = "credits-exhausted";
}

/// <summary>The budget view of an aggregate for the current period.</summary>
[GenerateSerializer, Immutable]
public sealed record BudgetStatus(
    [property: Id(0)] decimal Limit,
    [property: Id(1)] BudgetPeriod Period,
    [property: Id(2)] IReadOnlyList<decimal> Thresholds,
    [property: Id(3)] string CurrentPeriod,
    [property: Id(4)] decimal Used,
    [property: Id(5)] decimal PercentUsed,
    [property: Id(6)] string State);

/// <summary>An organization's budget alerts: stores each once and announces it once.</summary>
[Alias("CostGrains.IAlertLogGrain")]
public interface IAlertLogGrain : IGrainWithStringKey
{
    /// <summary>Stores and announces the alert; false (and nothing happens) when its id is already stored.</summary>
    [Alias("Record")]
    Task<bool> Record(BudgetAlert alert);

    [Alias("List")]
    Task<IReadOnlyList<BudgetAlert>> List(int limit);
}

/// <summary>An organization's outgoing webhook endpoint.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookEndpoint(
    [property: Id(0)] string Id,
    [property: Id(1)] Uri Url,
    [property: Id(2)] string Secret,
    [property: Id(3)] DateTimeOffset CreatedAt);

/// <summary>One attempt to deliver an alert to an endpoint.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookAttempt(
    [property: Id(0)] string EndpointId,
    [property: Id(1)] string AlertId,
    [property: Id(2)] int Attempt,
    [property: Id(3)] int? Status,
    [property: Id(4)] string? Error,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] bool Delivered);

/// <summary>An organization's webhooks: endpoints, pending deliveries (persisted) and the delivery log.</summary>
[Alias("CostGrains.IWebhookGrain")]
public interface IWebhookGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task<WebhookEndpoint> Add(Uri url, string secret);

    [Alias("Remove")]
    Task<bool> Remove(string id);

    [Alias("List")]
    Task<IReadOnlyList<WebhookEndpoint>> List();

    /// <summary>Queues the alert for every endpoint; delivery goes on in the background, with retries.</summary>
    [Alias("Enqueue")]
    Task Enqueue(BudgetAlert alert);

    [Alias("Log")]
    Task<IReadOnlyList<WebhookAttempt>> Log(int limit);
}
