using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CostGrains.Webhooks;

/// <summary>Delivery settings for outgoing webhooks.</summary>
public sealed class WebhookOptions
{
    /// <summary>First retry delay; doubles per attempt up to <see cref="MaxBackoff"/>. Default 2 s.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before a delivery is given up (and logged as failed). Default 10.</summary>
    public int MaxAttempts { get; set; } = 10;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Delivery log entries kept per organization. Default 500.</summary>
    public int LogSize { get; set; } = 500;
}

[GenerateSerializer]
public sealed class WebhookState
{
    [Id(0)] public List<WebhookEndpoint> Endpoints { get; set; } = [];

    [Id(1)] public List<PendingDelivery> Pending { get; set; } = [];

    [Id(2)] public List<WebhookAttempt> Log { get; set; } = [];
}

[GenerateSerializer]
public sealed class PendingDelivery
{
    [Id(0)] public required string EndpointId { get; init; }

    [Id(1)] public required BudgetAlert Alert { get; init; }

    [Id(2)] public int Attempts { get; set; }

    [Id(3)] public DateTimeOffset NextAttemptAt { get; set; }
}

/// <summary>
/// Sends an organization's alerts to its endpoints. Pending deliveries are part of the persisted
/// state, so a restart resumes them; each is retried with exponential backoff until a 2xx or
/// <see cref="WebhookOptions.MaxAttempts"/>. Every attempt is logged. Receivers verify
/// <c>CostGrains-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "t.body")&gt;</c>
/// and deduplicate by <c>CostGrains-Alert-Id</c> (a retried delivery may arrive twice).
/// </summary>
public sealed class WebhookGrain(
    [PersistentState("webhooks", GrainStorage.Name)] IPersistentState<WebhookState> state,
    IHttpClientFactory httpFactory,
    IOptions<WebhookOptions> options,
    ILogger<WebhookGrain> logger) : Grain, IWebhookGrain
{
    public const string SignatureHeader = "CostGrains-Signature";
    public const string AlertIdHeader = "CostGrains-Alert-Id";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private IGrainTimer? _timer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Schedule();
        return Task.CompletedTask;
    }

    public async Task<WebhookEndpoint> Add(Uri url, string secret)
    {
        var endpoint = new WebhookEndpoint($"wh_{Guid.NewGuid():N}"[..15], url, secret, DateTimeOffset.UtcNow);
        state.State.Endpoints.Add(endpoint);
        await state.WriteStateAsync();
        return endpoint;
    }

    public async Task<bool> Remove(string id)
    {
        var removed = state.State.Endpoints.RemoveAll(e => e.Id == id) > 0;
        state.State.Pending.RemoveAll(p => p.EndpointId == id);
        if (removed)
        {
            await state.WriteStateAsync();
        }

        return removed;
    }

    public Task<IReadOnlyList<WebhookEndpoint>> List() => Task.FromResult<IReadOnlyList<WebhookEndpoint>>(state.State.Endpoints.ToList());

    public async Task Enqueue(BudgetAlert alert)
    {
        if (state.State.Endpoints.Count == 0)
        {
            return;
        }

        foreach (var endpoint in state.State.Endpoints)
        {
            state.State.Pending.Add(new PendingDelivery { EndpointId = endpoint.Id, Alert = alert, NextAttemptAt = DateTimeOffset.UtcNow });
        }

        await state.WriteStateAsync();
        Schedule(TimeSpan.Zero);
    }

    public Task<IReadOnlyList<WebhookAttempt>> Log(int limit) =>
        Task.FromResult<IReadOnlyList<WebhookAttempt>>(state.State.Log.AsEnumerable().Reverse().Take(limit).ToList());

    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }

    private void Schedule(TimeSpan? due = null)
    {
        if (state.State.Pending.Count == 0)
        {
            return;
        }

        var wait = due ?? TimeSpan.FromTicks(Math.Max(0, (state.State.Pending.Min(p => p.NextAttemptAt) - DateTimeOffset.UtcNow).Ticks));
        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(_ => DeliverDue(), wait, Timeout.InfiniteTimeSpan);
    }

    private async Task DeliverDue()
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var pending in state.State.Pending.Where(p => p.NextAttemptAt <= now).ToList())
        {
            var endpoint = state.State.Endpoints.FirstOrDefault(e => e.Id == pending.EndpointId);
            if (endpoint is null)
            {
                state.State.Pending.Remove(pending);
                continue;
            }

            pending.Attempts++;
            var (status, error) = await Send(endpoint, pending.Alert);
            var delivered = status is >= 200 and < 300;
            state.State.Log.Add(new WebhookAttempt(endpoint.Id, pending.Alert.Id, pending.Attempts, status, error, DateTimeOffset.UtcNow, delivered));
            if (delivered || pending.Attempts >= options.Value.MaxAttempts)
            {
                state.State.Pending.Remove(pending);
            }
            else
            {
                var backoff = options.Value.InitialBackoff * Math.Pow(2, pending.Attempts - 1);
                pending.NextAttemptAt = DateTimeOffset.UtcNow + (backoff < options.Value.MaxBackoff ? backoff : options.Value.MaxBackoff);
            }
        }

        if (state.State.Log.Count > options.Value.LogSize)
        {
            state.State.Log.RemoveRange(0, state.State.Log.Count - options.Value.LogSize);
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Saving webhook delivery state failed; attempts may repeat after a restart");
        }

        Schedule();
    }

    /// <summary>The webhook event name of an alert type: budget.crossed, runaway.detected, credits.low, credits.exhausted.</summary>
    public static string EventName(string alertType) => alertType switch
    {
        AlertTypes.Budget => "budget.crossed",
        AlertTypes.Runaway => "runaway.detected",
        _ => alertType.Replace('-', '.'),
    };

    private async Task<(int? Status, string? Error)> Send(WebhookEndpoint endpoint, BudgetAlert alert)
    {
        var body = JsonSerializer.Serialize(new { type = EventName(alert.AlertType), alert = AlertMessage.From(alert) }, Json);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(SignatureHeader, Sign(endpoint.Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
            request.Headers.Add(AlertIdHeader, alert.Id);
            using var timeout = new CancellationTokenSource(options.Value.Timeout);
            using var response = await httpFactory.CreateClient("webhooks").SendAsync(request, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return (null, ex.Message);
        }
    }
}
