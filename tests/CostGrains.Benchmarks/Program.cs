using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime;
using CostGrains;
using CostGrains.Agent;
using CostGrains.Benchmarks;
using CostGrains.Testing;

// CostGrains benchmark: measures, prints numbers, asserts nothing about time.
//   dotnet run -c Release --project tests/CostGrains.Benchmarks [-- --quick] [--only ceiling,ledger,ingest,visible,live,detail,memory]
// Uses COSTGRAINS_TEST_POSTGRES when set, else a throwaway PostgreSQL from the installed binaries.
var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',') ?? ["ceiling", "ledger", "ingest", "visible", "live", "detail", "memory"];
bool Run(string phase) => only.Contains(phase);
var scale = quick ? 10 : 1;
Console.WriteLine($"CostGrains benchmark — {Environment.ProcessorCount} cores, server GC {GCSettings.IsServerGC}, {(quick ? "quick" : "full")} run");

await using var pg = await PostgresServer.StartAsync();

// 1. The raw PostgreSQL ceiling for the same rows: binary COPY, the best of 2 or 4 connections with
// 1,000 or 10,000 rows per transaction, each into a fresh ledger table.
var ceilingRows = 400_000 / scale;
var ceiling = double.NaN;
if (Run("ceiling"))
{
    foreach (var (connections, rowsPerTransaction) in new[] { (4, 1_000), (2, 10_000), (4, 10_000) })
    {
        var rate = await RawInsertCeiling.MeasureAsync(await pg.CreateDatabaseAsync("bench_raw"), ceilingRows, connections, rowsPerTransaction);
        Console.WriteLine($"[ceiling] PostgreSQL binary COPY into the ledger table, {connections} connections × {rowsPerTransaction:N0} rows per transaction: {rate:N0} rows/s");
        ceiling = double.IsNaN(ceiling) ? rate : Math.Max(ceiling, rate);
    }
}

Console.WriteLine($"[ceiling] best: {ceiling:N0} rows/s");

// 2. The ledger alone: the same rows through PostgresLedger (group commit, seq assignment, dedupe).
var ledgerRate = !Run("ledger") ? double.NaN : await LedgerAppend.MeasureAsync(await pg.CreateDatabaseAsync("bench_ledger"), 400_000 / scale, appenders: 8, batch: 1_000);
Console.WriteLine($"[ledger]  PostgresLedger.AppendAsync, 8 appenders: {ledgerRate:N0} events/s ({ledgerRate / ceiling:P0} of the ceiling)");

// 3. Sustained ingest through HTTP with durable acks, 8 agents over 2,000 projects. The first run
// starts cold (the JIT is still tiering the hot paths up) and warms the node; then the sustained
// figures with 1,000- and 5,000-event batches.
await using var node = await BenchNode.StartAsync(await pg.CreateDatabaseAsync("bench_ingest"));
var key = await node.CreateOrgAsync("bench");
LoadReport? load = null;
if (Run("ingest"))
{
    LoadOptions Load(string runId, long events, int batch) =>
        new(node.BaseAddress, key, null, Agents: 8, Events: events / scale, Batch: batch, Projects: 2_000, Sku: null, RunId: runId);
    var cold = await LoadGenerator.RunAsync(Load("cold", 1_200_000, 1_000), CancellationToken.None);
    Console.WriteLine($"[ingest]  cold start, 1,000-event batches: {cold}");
    var cpu = CpuMeter.Start();
    load = await LoadGenerator.RunAsync(Load("sustained", 600_000, 1_000), CancellationToken.None);
    Console.WriteLine($"[ingest]  sustained, 1,000-event batches: {load}");
    Console.WriteLine($"[ingest]  {cpu.PerEvent(load.Events)}");
    Console.WriteLine($"[ingest]  ratio to the PostgreSQL ceiling: {load.EventsPerSecond / ceiling:P0}");
    cpu = CpuMeter.Start();
    var large = await LoadGenerator.RunAsync(Load("large", 600_000, 5_000), CancellationToken.None);
    Console.WriteLine($"[ingest]  sustained, 5,000-event batches: {large}");
    Console.WriteLine($"[ingest]  {cpu.PerEvent(large.Events)}");
    Console.WriteLine($"[ingest]  ratio to the PostgreSQL ceiling: {large.EventsPerSecond / ceiling:P0}");
    var settle = Stopwatch.StartNew();
    await node.WaitConsistentAsync("bench", TimeSpan.FromMinutes(5));
    Console.WriteLine($"[ingest]  every aggregate equal to its ledger sum {settle.Elapsed.TotalMilliseconds:N0} ms after the last ack");
}

// 3. Ack → visible in the grain, at half the sustained rate.
if (Run("visible"))
{
    var visibility = await Visibility.MeasureAsync(node, key, targetEventsPerSecond: (load?.EventsPerSecond ?? 20_000) / 2, seconds: quick ? 5 : 20);
    Console.WriteLine($"[visible] at {visibility.Rate:N0} events/s background load: ack → visible in grain p50 {visibility.P50:N1} ms, p99 {visibility.P99:N1} ms ({visibility.Samples} probes)");
}

// 5. Ack → burn message received by a subscribed SignalR client, at half the sustained rate.
if (Run("live"))
{
    var liveKey = await node.CreateOrgAsync("live");
    var live = await LivePush.MeasureAsync(node, liveKey, eventsPerSecond: (load?.EventsPerSecond ?? 20_000) / 2, seconds: quick ? 5 : 20);
    Console.WriteLine($"[live]    ack → burn message at a SignalR client p50 {live.P50:N1} ms, p99 {live.P99:N1} ms ({live.Samples} probes)");
}

// 6. A project's detail with 1,000,000 billed intervals on the books: grain memory vs PostgreSQL.
if (Run("detail"))
{
    var detailDb = await pg.CreateDatabaseAsync("bench_detail");
    await using var detailNode = await BenchNode.StartAsync(detailDb);
    var detail = await DetailLatency.MeasureAsync(detailNode, detailDb, await detailNode.CreateOrgAsync("detail"),
        intervals: 1_000_000 / scale, projects: 100, instancesPerProject: 50, requests: 5_000);
    Console.WriteLine($"[detail]  {detail.Intervals:N0} billed intervals on 100 projects × 50 instances, loaded in {detail.LoadSeconds:N0} s");
    Console.WriteLine($"[detail]  GET /v1/projects/{{key}} (drill-down of 50 instances) p50 {detail.P50:N2} ms, p99 {detail.P99:N2} ms; 8 concurrent p99 {detail.ConcurrentP99:N2} ms ({detail.Requests:N0} requests each)");
    Console.WriteLine($"[detail]  baseline, the same totals computed by PostgreSQL per request: p50 {detail.SqlP50:N2} ms, p99 {detail.SqlP99:N2} ms (grain p99 is {detail.SqlP99 / detail.P99:N1}× faster)");
}

// 7. Memory per active grain with 100,000 project grains.
if (Run("memory"))
{
var grains = 100_000 / scale;
var memory = await GrainMemory.MeasureAsync(node, await node.CreateOrgAsync("mem"), grains);
Console.WriteLine($"[memory]  {grains:N0} active project grains: +{memory.BytesPerGrain / 1024.0:N2} KiB managed heap per grain ({memory.Activations:N0} activations)");
Console.WriteLine($"[memory]  peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):N0} MiB (server + load generator in one process)");
}
