using CostGrains.Ledger;
using CostGrains.Postgres.Ledger;
using CostGrains.Postgres.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CostGrains.Postgres.Hosting;

public static class PostgresSiloExtensions
{
    private const string Invariant = "Npgsql";

    /// <summary>
    /// Puts everything durable in PostgreSQL: the ledger (and its LISTEN wake-up), grain state,
    /// cluster membership and reminders. Run <see cref="MigrateAsync"/> before the silo starts.
    /// </summary>
    public static ISiloBuilder AddCostGrainsPostgres(
        this ISiloBuilder silo, string connectionString, Action<PostgresLedgerOptions>? configure = null, bool clustering = true)
    {
        var options = new PostgresLedgerOptions();
        configure?.Invoke(options);

        silo.Services.AddSingleton(options);
        silo.Services.AddSingleton(_ => CreateDataSource(connectionString));
        silo.Services.AddSingleton<PostgresLedger>();
        silo.Services.AddSingleton<ILedger>(sp => sp.GetRequiredService<PostgresLedger>());
        silo.Services.AddHostedService<LedgerNotificationListener>();

        if (clustering)
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = connectionString;
            });
        }

        silo.AddAdoNetGrainStorage(GrainStorage.Name, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = connectionString;
        });
        return silo;
    }

    public static NpgsqlDataSource CreateDataSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString) { Name = "costgrains" }.Build();

    /// <summary>
    /// Applies pending migrations and prepares the ledger's partitions, retrying while the
    /// database is not reachable yet (a node may start before its database).
    /// </summary>
    public static async Task MigrateAsync(string connectionString, int partitions, ILogger logger, TimeSpan timeout)
    {
        await using var db = CreateDataSource(connectionString);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await PostgresMigrator.MigrateAsync(db, logger);
                await PostgresLedger.EnsurePartitionsAsync(db, partitions, CancellationToken.None);
                return;
            }
            catch (NpgsqlException ex) when (DateTime.UtcNow < deadline && ex.IsTransient)
            {
                logger.LogWarning("PostgreSQL is not reachable yet ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }
}
