using System.Diagnostics;
using CostGrains.Agent;
using CostGrains.Client;

namespace CostGrains.Benchmarks;

/// <summary>
/// Time from a batch's acknowledgement until its event is in the target grain's totals, measured
/// with probe events while background agents keep a steady load on the node.
/// </summary>
internal static class Visibility
{
    public static async Task<(double Rate, double P50, double P99, int Samples)> MeasureAsync(
        BenchNode node, string key, double targetEventsPerSecond, int seconds)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var background = Background(node, key, targetEventsPerSecond, stop.Token);

        await using var client = new CostGrainsClient(new CostGrainsClientOptions { BaseAddress = node.BaseAddress, ApiKey = key });
        var latencies = new List<double>();
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var project = $"probe{n % 50}";
            var grain = node.Grains.GetGrain<IProjectGrain>($"bench/{project}");
            var before = (await grain.GetSnapshot()).EventCount;
            await client.SendAsync([new UsageEvent { Id = $"probe-{n++}", Time = DateTimeOffset.UtcNow, Project = project, Amount = 0.01m }]);
            var acked = Stopwatch.GetTimestamp();
            while ((await grain.GetSnapshot()).EventCount == before)
            {
                await Task.Delay(1);
            }

            latencies.Add(Stopwatch.GetElapsedTime(acked).TotalMilliseconds);
            await Task.Delay(20);
        }

        var sent = await background;
        var sorted = latencies.Order().ToArray();
        return (sent / seconds, LoadGenerator.Percentile(sorted, 0.5), LoadGenerator.Percentile(sorted, 0.99), sorted.Length);
    }

    internal static async Task<long> Background(BenchNode node, string key, double eventsPerSecond, CancellationToken stop)
    {
        await using var client = new CostGrainsClient(new CostGrainsClientOptions { BaseAddress = node.BaseAddress, ApiKey = key });
        const int batch = 500;
        var interval = TimeSpan.FromSeconds(batch / eventsPerSecond);
        var sent = 0L;
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        for (var b = 0; !stop.IsCancellationRequested; b++)
        {
            var due = interval * b;
            if (clock.Elapsed < due)
            {
                try
                {
                    await Task.Delay(due - clock.Elapsed, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var events = Enumerable.Range(0, batch)
                .Select(i => new UsageEvent { Id = $"bg-{b}-{i}", Time = DateTimeOffset.UtcNow, Project = $"bg{(b * batch + i) % 1000}", Amount = 0.001m })
                .ToArray();
            inFlight.Add(client.SendAsync(events));
            inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
            sent += batch;
        }

        await Task.WhenAll(inFlight);
        return sent;
    }
}
