using CostGrains.Hosting;
using CostGrains.Ledger;
using CostGrains.Postgres.Hosting;
using CostGrains.Postgres.Ledger;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace CostGrains.IntegrationTests;

/// <summary>Silos dying under a running stream, on PostgreSQL, in an Orleans test cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SiloFailureTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Killed_silo_mid_stream_loses_no_event_and_counts_none_twice()
    {
        var connectionString = await postgres.Server.CreateDatabaseAsync("silokill");
        await PostgresSiloExtensions.MigrateAsync(connectionString, LedgerPartitioning.DefaultPartitions, NullLogger.Instance, TimeSpan.FromSeconds(30));

        var builder = new TestClusterBuilder(3);
        builder.Options.ServiceId = "costgrains-test";
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
        }));
        builder.AddSiloBuilderConfigurator<PostgresSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            await using var db = PostgresSiloExtensions.CreateDataSource(connectionString);
            await using var ledger = new PostgresLedger(db, new PostgresLedgerOptions(), NullLogger<PostgresLedger>.Instance);
            var targets = Enumerable.Range(0, 48).Select(i => new TargetRef(TargetKind.Project, "acme", $"p{i}")).ToArray();
            var expected = new Dictionary<TargetRef, decimal>();

            async Task Append(int batch)
            {
                var events = Enumerable.Range(0, 500).Select(i =>
                {
                    var target = targets[(batch * 500 + i) % targets.Length];
                    var amount = 0.01m * (1 + (i % 7));
                    expected[target] = expected.GetValueOrDefault(target) + amount;
                    return new LedgerEvent("acme", $"b{batch}-{i}", target.Kind, target.Key,
                        LedgerPartitioning.PartitionOf(target, ledger.Partitions), DateTimeOffset.UtcNow, null,
                        null, null, null, amount, "USD", "compute", null, null);
                }).ToList();
                await ledger.AppendAsync(events, CancellationToken.None);
            }

            for (var b = 0; b < 10; b++)
            {
                await Append(b);
            }

            // Make sure the stream is flowing on every silo, then kill one without any shutdown.
            await Poll.Until(() => Task.WhenAll(targets.Select(t => cluster.Client.GetGrain<IProjectGrain>(t.GrainKey).GetSnapshot())),
                s => s.Sum(x => x.EventCount) > 0, TimeSpan.FromSeconds(20), "the stream to deliver");
            var victim = cluster.Silos.First(s => s != cluster.Primary);
            await cluster.KillSiloAsync(victim);

            for (var b = 10; b < 20; b++)
            {
                await Append(b);
            }

            var snapshots = await Poll.Until(
                () => Task.WhenAll(targets.Select(t => cluster.Client.GetGrain<IProjectGrain>(t.GrainKey).GetSnapshot())),
                s => s.Sum(x => x.EventCount) == 10_000, TimeSpan.FromSeconds(90), "all 10,000 events to be applied");

            foreach (var snapshot in snapshots)
            {
                Assert.Equal(expected[new TargetRef(TargetKind.Project, "acme", snapshot.Key)], snapshot.Total);
            }

            var sums = (await ledger.SumByTargetAsync("acme", CancellationToken.None)).ToDictionary(s => s.Target);
            foreach (var snapshot in snapshots)
            {
                var sum = sums[new TargetRef(TargetKind.Project, "acme", snapshot.Key)];
                Assert.Equal(sum.Total, snapshot.Total);
                Assert.Equal(sum.EventCount, snapshot.EventCount);
            }
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }

    private sealed class PostgresSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var connectionString = siloBuilder.Configuration.GetConnectionString("Postgres")!;
            siloBuilder.AddCostGrainsPostgres(connectionString, clustering: false);
            siloBuilder.AddCostGrainsCore(siloBuilder.Configuration);
            siloBuilder.Services.Configure<ClusterMembershipOptions>(o =>
            {
                // Declare the killed silo dead quickly so its queues and grains move on.
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
        }
    }
}
