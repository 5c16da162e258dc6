using System.Diagnostics;
using CostGrains.Client;

namespace CostGrains.Agent;

/// <summary>Options of a load run.</summary>
public sealed record LoadOptions(
    Uri Url, string Key, string? Org, int Agents, long Events, int Batch, int Projects, string? Sku, string RunId);

/// <summary>What a load run measured.</summary>
public sealed record LoadReport(long Events, long Accepted, long Duplicates, long Retries, TimeSpan Elapsed, double P50Ms, double P99Ms)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;

    public override string ToString() =>
        $"events {Events:N0} in {Elapsed.TotalSeconds:N1} s = {EventsPerSecond:N0} events/s; accepted {Accepted:N0}, duplicates {Duplicates:N0}, " +
        $"retries {Retries:N0}; ack latency p50 {P50Ms:N1} ms, p99 {P99Ms:N1} ms";
}

/// <summary>
/// Many simulated metering agents sending batches concurrently, each retrying what was not
/// acknowledged. Event ids are derived from the run id, so a rerun with the same id is all duplicates.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadReport> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        await using var client = new CostGrainsClient(new CostGrainsClientOptions
        {
            BaseAddress = options.Url,
            ApiKey = options.Key,
            Organization = options.Org,
            MaxBatchSize = options.Batch,
        }, http);

        var batches = (options.Events + options.Batch - 1) / options.Batch;
        long next = -1;
        var latencies = new List<double>[options.Agents];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Agents).Select(agent => Task.Run(async () =>
        {
            latencies[agent] = [];
            var random = new Random(agent);
            long b;
            while ((b = Interlocked.Increment(ref next)) < batches && !cancellationToken.IsCancellationRequested)
            {
                var size = (int)Math.Min(options.Batch, options.Events - (b * options.Batch));
                var events = new UsageEvent[size];
                for (var i = 0; i < size; i++)
                {
                    var project = $"p{random.Next(options.Projects)}";
                    events[i] = options.Sku is null
                        ? new UsageEvent { Id = $"{options.RunId}-{b}-{i}", Time = DateTimeOffset.UtcNow, Project = project, Amount = 0.0001m * random.Next(1, 1000), Category = i % 4 == 0 ? "storage" : "compute" }
                        : new UsageEvent { Id = $"{options.RunId}-{b}-{i}", Time = DateTimeOffset.UtcNow, Project = project, Sku = options.Sku, Quantity = random.Next(1, 100) };
                }

                var sent = Stopwatch.GetTimestamp();
                await client.SendAsync(events, cancellationToken);
                latencies[agent].Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
        }, cancellationToken)));

        var elapsed = clock.Elapsed;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadReport(Math.Min(options.Events, batches * options.Batch), client.Accepted, client.Duplicates, client.Retries,
            elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
