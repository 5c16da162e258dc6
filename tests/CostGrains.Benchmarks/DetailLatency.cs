using System.Diagnostics;
using CostGrains.Agent;
using CostGrains.Client;
using Npgsql;

namespace CostGrains.Benchmarks;

/// <summary>
/// A project's detail with many billed intervals on the books: <c>GET /v1/projects/{key}</c> served
/// from grain memory, against the same figures computed by PostgreSQL from the ledger (the baseline).
/// </summary>
internal static class DetailLatency
{
    public sealed record Result(long Intervals, double LoadSeconds, double P50, double P99, double ConcurrentP99, double SqlP50, double SqlP99, int Requests);

    public static async Task<Result> MeasureAsync(BenchNode node, string connectionString, string key, long intervals, int projects, int instancesPerProject, int requests)
    {
        await using var client = new CostGrainsClient(new CostGrainsClientOptions { BaseAddress = node.BaseAddress, ApiKey = key });

        // Instances first (resource reports), then hourly billed intervals, newest hour last.
        var reports = Enumerable.Range(0, projects).SelectMany(p => Enumerable.Range(0, instancesPerProject).Select(i => new UsageEvent
        {
            Id = $"r-{p}-{i}", Type = "instance", Time = DateTimeOffset.UtcNow.AddDays(-60), Project = $"p{p}", Resource = $"vm-{i}", HourlyCost = 0.05m + i * 0.01m,
        })).ToList();
        foreach (var chunk in reports.Chunk(5_000))
        {
            await client.SendAsync(chunk);
        }

        var load = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow.AddHours(-intervals / (projects * instancesPerProject) - 1);
        const int batch = 5_000;
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(Enumerable.Range(0, (int)(intervals / batch)).Select(async b =>
        {
            await gate.WaitAsync();
            try
            {
                await client.SendAsync(Enumerable.Range(0, batch).Select(i =>
                {
                    var n = (long)b * batch + i;
                    var slot = n / (projects * instancesPerProject);
                    var time = start.AddHours(slot);
                    return new UsageEvent
                    {
                        Id = $"u-{n}", Time = time, End = time.AddHours(1), Project = $"p{n % projects}", Resource = $"vm-{n / projects % instancesPerProject}",
                        Amount = 0.05m + n % 7 * 0.01m, Category = n % 5 == 0 ? "storage" : "compute",
                    };
                }).ToArray());
            }
            finally
            {
                gate.Release();
            }
        }));
        await node.WaitConsistentAsync("detail", TimeSpan.FromMinutes(10));
        load.Stop();

        using var http = new HttpClient { BaseAddress = node.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        for (var p = 0; p < projects; p++)
        {
            (await http.GetAsync($"v1/projects/p{p}")).EnsureSuccessStatusCode(); // warm: every grain active
        }

        var random = new Random(42);
        var sequential = new double[requests];
        for (var i = 0; i < requests; i++)
        {
            var t = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync($"v1/projects/p{random.Next(projects)}");
            await response.Content.ReadAsByteArrayAsync();
            sequential[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        var concurrent = new double[requests];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var t = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync($"v1/projects/p{i % projects}");
                await response.Content.ReadAsByteArrayAsync();
                concurrent[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            }
        }));

        // Baseline: the same totals (per category and per resource) computed by PostgreSQL each time.
        await using var db = NpgsqlDataSource.Create(connectionString);
        var sql = new double[Math.Min(requests, 500)];
        for (var i = 0; i < sql.Length; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await using var command = db.CreateCommand(
                "SELECT category, resource, sum(amount), count(*) FROM cg_event WHERE org = 'detail' AND kind = 0 AND target = $1 GROUP BY category, resource");
            command.Parameters.Add(new() { Value = $"p{random.Next(projects)}" });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
            }

            sql[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        Array.Sort(sequential);
        Array.Sort(concurrent);
        Array.Sort(sql);
        return new Result(intervals, load.Elapsed.TotalSeconds,
            LoadGenerator.Percentile(sequential, 0.5), LoadGenerator.Percentile(sequential, 0.99), LoadGenerator.Percentile(concurrent, 0.99),
            LoadGenerator.Percentile(sql, 0.5), LoadGenerator.Percentile(sql, 0.99), requests);
    }
}
