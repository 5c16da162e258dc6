using CostGrains.Client;
using Orleans.Runtime;

namespace CostGrains.Benchmarks;

/// <summary>Managed heap growth per active project grain (totals, stream subscription, activation).</summary>
internal static class GrainMemory
{
    public static async Task<(double BytesPerGrain, int Activations)> MeasureAsync(BenchNode node, string key, int grains)
    {
        var management = node.Grains.GetGrain<IManagementGrain>(0);
        var baseline = await Settle(management);
        var heapBefore = Heap();

        await using var client = new CostGrainsClient(new CostGrainsClientOptions { BaseAddress = node.BaseAddress, ApiKey = key });
        const int batch = 1_000;
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(Enumerable.Range(0, grains / batch).Select(async b =>
        {
            await gate.WaitAsync();
            try
            {
                await client.SendAsync(Enumerable.Range(0, batch)
                    .Select(i => new UsageEvent { Id = $"mem-{b}-{i}", Time = DateTimeOffset.UtcNow, Project = $"m{b * batch + i}", Amount = 0.01m, Category = "compute" })
                    .ToArray());
            }
            finally
            {
                gate.Release();
            }
        }));

        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (await management.GetTotalActivationCount() < baseline + grains && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        var activations = await Settle(management) - baseline;
        var heapAfter = Heap();
        return ((heapAfter - heapBefore) / (double)Math.Max(1, activations), activations);
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<int> Settle(IManagementGrain management)
    {
        // Let checkpoints and deliveries finish so the heap holds steady state, not work in flight.
        var last = -1;
        for (var i = 0; i < 40; i++)
        {
            var now = await management.GetTotalActivationCount();
            if (now == last)
            {
                return now;
            }

            last = now;
            await Task.Delay(500);
        }

        return last;
    }
}
