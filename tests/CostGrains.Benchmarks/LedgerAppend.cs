using System.Diagnostics;
using CostGrains.Ledger;
using CostGrains.Postgres.Hosting;
using CostGrains.Postgres.Ledger;
using Microsoft.Extensions.Logging.Abstractions;

namespace CostGrains.Benchmarks;

/// <summary>The ledger alone (no HTTP, no grains): concurrent appenders of rated batches.</summary>
internal static class LedgerAppend
{
    public static async Task<double> MeasureAsync(string connectionString, int events, int appenders, int batch)
    {
        await PostgresSiloExtensions.MigrateAsync(connectionString, 16, NullLogger.Instance, TimeSpan.FromSeconds(30));
        await using var db = PostgresSiloExtensions.CreateDataSource(connectionString);
        await using var ledger = new PostgresLedger(db, new PostgresLedgerOptions(), NullLogger<PostgresLedger>.Instance);
        var batches = events / batch;
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
        {
            int b;
            while ((b = Interlocked.Increment(ref next)) < batches)
            {
                var rows = Enumerable.Range(0, batch).Select(i =>
                {
                    var target = new TargetRef(TargetKind.Project, "bench", $"p{(b * batch + i) % 2000}");
                    return new LedgerEvent("bench", $"l-{b}-{i}", TargetKind.Project, target.Key, LedgerPartitioning.PartitionOf(target, 16),
                        DateTimeOffset.UtcNow, null, "vm", 3m, 0.1m, 0.3m, "USD", "compute", null, "{\"agentType\":\"bench\"}");
                }).ToList();
                await ledger.AppendAsync(rows, CancellationToken.None);
            }
        })));
        return batches * batch / clock.Elapsed.TotalSeconds;
    }
}
