using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;

namespace CostGrains.Client;

/// <summary>The server refused a batch for good (4xx): retrying the same events cannot succeed.</summary>
public sealed class CostGrainsRejectedException(HttpStatusCode status, string problem)
    : Exception($"CostGrains refused the batch ({(int)status}): {problem}")
{
    public HttpStatusCode Status { get; } = status;

    public string Problem { get; } = problem;
}

/// <summary>
/// Sends usage to CostGrains. <see cref="SendAsync"/> sends one batch and retries it until it is
/// acknowledged; <see cref="EnqueueAsync"/> buffers events (bounded) and sends them in batches in
/// the background. Every event gets its id before its first attempt, so a retried batch is
/// deduplicated by the server and counted once.
/// </summary>
public sealed class CostGrainsClient : IAsyncDisposable
{
    private readonly CostGrainsClientOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Channel<UsageEvent> _buffer;
    private readonly Task _pump;
    private readonly SemaphoreSlim _inFlight;
    private readonly List<Task> _sends = [];
    private long _accepted;
    private long _duplicates;
    private long _retries;
    private long _rejected;

    public CostGrainsClient(CostGrainsClientOptions options, HttpClient? http = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxBatchSize, 10_000, nameof(options.MaxBatchSize));
        _options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        _buffer = Channel.CreateBounded<UsageEvent>(new BoundedChannelOptions(options.MaxBufferedEvents) { SingleReader = true });
        _inFlight = new SemaphoreSlim(options.MaxConcurrentRequests);
        _pump = Task.Run(PumpAsync);
    }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Retries => Interlocked.Read(ref _retries);

    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Called when the server refuses a buffered batch (the events are dropped).</summary>
    public event Action<IReadOnlyList<UsageEvent>, CostGrainsRejectedException>? BatchRejected;

    /// <summary>Gives every event without an id a new, stable one.</summary>
    public static IReadOnlyList<UsageEvent> WithIds(IReadOnlyList<UsageEvent> events) =>
        events.All(e => !string.IsNullOrEmpty(e.Id))
            ? events
            : events.Select(e => string.IsNullOrEmpty(e.Id) ? e with { Id = Guid.CreateVersion7().ToString("N") } : e).ToList();

    /// <summary>Buffers one event; waits while the buffer is full.</summary>
    public ValueTask EnqueueAsync(UsageEvent usage, CancellationToken cancellationToken = default) =>
        _buffer.Writer.WriteAsync(string.IsNullOrEmpty(usage.Id) ? usage with { Id = Guid.CreateVersion7().ToString("N") } : usage, cancellationToken);

    /// <summary>Sends one batch, retrying 5xx, 429, timeouts and connection failures with backoff.</summary>
    public async Task<IngestResult> SendAsync(IReadOnlyList<UsageEvent> events, CancellationToken cancellationToken = default)
    {
        events = WithIds(events);
        var body = JsonSerializer.SerializeToUtf8Bytes(events, ClientJson.Default.IReadOnlyListUsageEvent);
        var backoff = _options.InitialBackoff;
        var giveUp = DateTime.UtcNow + _options.GiveUpAfter;
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                using var request = new HttpRequestMessage(HttpMethod.Post, EventsUri()) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
                using var response = await _http.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode)
                {
                    var result = (await response.Content.ReadFromJsonAsync(ClientJson.Default.IngestResult, timeout.Token))!;
                    Interlocked.Add(ref _accepted, result.Accepted);
                    Interlocked.Add(ref _duplicates, result.Duplicates);
                    return result;
                }

                if (!IsRetryable(response.StatusCode))
                {
                    throw new CostGrainsRejectedException(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Connection refused or reset, or timed out: the batch may or may not be stored; its
                // ids make the retry safe either way.
            }

            if (DateTime.UtcNow > giveUp)
            {
                throw new TimeoutException($"CostGrains did not acknowledge the batch after {attempt} attempts.");
            }

            Interlocked.Increment(ref _retries);
            var jitter = Random.Shared.NextDouble() * 0.5 + 0.75;
            await Task.Delay(backoff * jitter, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }
    }

    /// <summary>Sends everything buffered so far and waits for its acknowledgement.</summary>
    public async Task FlushAsync()
    {
        _buffer.Writer.TryComplete();
        await _pump;
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;

    private Uri EventsUri() => new(_options.BaseAddress,
        _options.Organization is null ? "v1/events" : $"v1/events?org={Uri.EscapeDataString(_options.Organization)}");

    private async Task PumpAsync()
    {
        var reader = _buffer.Reader;
        var batch = new List<UsageEvent>(_options.MaxBatchSize);
        while (await reader.WaitToReadAsync())
        {
            using var window = new CancellationTokenSource(_options.FlushInterval);
            try
            {
                while (batch.Count < _options.MaxBatchSize)
                {
                    if (reader.TryRead(out var next))
                    {
                        batch.Add(next);
                    }
                    else if (!await reader.WaitToReadAsync(window.Token))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The flush interval elapsed: send what there is.
            }

            if (batch.Count > 0)
            {
                await StartSend(batch.ToArray());
                batch.Clear();
            }
        }

        await Task.WhenAll(_sends);
    }

    private async Task StartSend(UsageEvent[] batch)
    {
        await _inFlight.WaitAsync();
        _sends.RemoveAll(t => t.IsCompleted);
        _sends.Add(Task.Run(async () =>
        {
            try
            {
                await SendAsync(batch);
            }
            catch (CostGrainsRejectedException ex)
            {
                Interlocked.Add(ref _rejected, batch.Length);
                BatchRejected?.Invoke(batch, ex);
            }
            finally
            {
                _inFlight.Release();
            }
        }));
    }
}
