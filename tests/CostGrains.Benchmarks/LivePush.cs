using System.Collections.Concurrent;
using System.Diagnostics;
using CostGrains.Agent;
using CostGrains.Client;
using Microsoft.AspNetCore.SignalR.Client;

namespace CostGrains.Benchmarks;

/// <summary>
/// Time from a batch's acknowledgement until a subscribed SignalR client receives the
/// <c>burn</c> message that includes it, while background agents keep a steady load.
/// </summary>
internal static class LivePush
{
    private sealed record Burn(string Kind, string Key, decimal PerHour, decimal Total, DateTimeOffset At);

    public static async Task<(double P50, double P99, int Samples)> MeasureAsync(BenchNode node, string key, double eventsPerSecond, int seconds)
    {
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(node.BaseAddress, "hubs/cost"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(key))
            .Build();
        var waiting = new ConcurrentDictionary<string, (decimal Total, TaskCompletionSource Seen)>();
        hub.On<Burn>("burn", burn =>
        {
            if (waiting.TryGetValue(burn.Key, out var w) && burn.Total >= w.Total)
            {
                w.Seen.TrySetResult();
            }
        });
        await hub.StartAsync();
        const int probes = 50;
        for (var p = 0; p < probes; p++)
        {
            await hub.InvokeAsync("Subscribe", "project", $"live{p}");
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var background = Visibility.Background(node, key, eventsPerSecond, stop.Token);
        await using var client = new CostGrainsClient(new CostGrainsClientOptions { BaseAddress = node.BaseAddress, ApiKey = key });
        var totals = new decimal[probes];
        var latencies = new List<double>();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var p = n % probes;
            totals[p] += 0.01m;
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting[$"live{p}"] = (totals[p], seen);
            await client.SendAsync([new UsageEvent { Id = $"live-{n}", Time = DateTimeOffset.UtcNow, Project = $"live{p}", Amount = 0.01m }]);
            var acked = Stopwatch.GetTimestamp();
            await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
            latencies.Add(Stopwatch.GetElapsedTime(acked).TotalMilliseconds);
            await Task.Delay(20);
        }

        await background;
        var sorted = latencies.Order().ToArray();
        return (LoadGenerator.Percentile(sorted, 0.5), LoadGenerator.Percentile(sorted, 0.99), sorted.Length);
    }
}
