using System.Diagnostics;
using CostGrains.Postgres.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace CostGrains.Benchmarks;

/// <summary>The fastest way PostgreSQL takes the ledger's rows: binary COPY, several connections.</summary>
internal static class RawInsertCeiling
{
    public static async Task<double> MeasureAsync(string connectionString, int rows, int connections, int rowsPerTransaction)
    {
        await PostgresSiloExtensions.MigrateAsync(connectionString, 16, NullLogger.Instance, TimeSpan.FromSeconds(30));
        await using var db = PostgresSiloExtensions.CreateDataSource(connectionString);
        var perConnection = rows / connections;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(c => Task.Run(async () =>
        {
            await using var connection = await db.OpenConnectionAsync();
            for (var start = 0; start < perConnection; start += rowsPerTransaction)
            {
                await using var tx = await connection.BeginTransactionAsync();
                await using (var copy = await connection.BeginBinaryImportAsync(
                    "COPY cg_event (org, id, partition, seq, kind, target, target_id, time, sku, quantity, price, amount, unit, category, dimensions) FROM STDIN (FORMAT BINARY)"))
                {
                    for (var i = start; i < start + rowsPerTransaction; i++)
                    {
                        var n = (long)c * perConnection + i;
                        await copy.StartRowAsync();
                        await copy.WriteAsync("bench", NpgsqlDbType.Text);
                        await copy.WriteAsync($"raw-{n}", NpgsqlDbType.Text);
                        await copy.WriteAsync((int)(n % 16), NpgsqlDbType.Integer);
                        await copy.WriteAsync(n, NpgsqlDbType.Bigint);
                        await copy.WriteAsync((short)0, NpgsqlDbType.Smallint);
                        await copy.WriteAsync($"p{n % 2000}", NpgsqlDbType.Text);
                        await copy.WriteAsync(n % 2000 + 1, NpgsqlDbType.Bigint);
                        await copy.WriteAsync(DateTime.UtcNow, NpgsqlDbType.TimestampTz);
                        await copy.WriteAsync("vm", NpgsqlDbType.Text);
                        await copy.WriteAsync(3m, NpgsqlDbType.Numeric);
                        await copy.WriteAsync(0.1m, NpgsqlDbType.Numeric);
                        await copy.WriteAsync(0.3m, NpgsqlDbType.Numeric);
                        await copy.WriteAsync("USD", NpgsqlDbType.Text);
                        await copy.WriteAsync("compute", NpgsqlDbType.Text);
                        await copy.WriteAsync("{\"agentType\":\"bench\"}", NpgsqlDbType.Jsonb);
                    }

                    await copy.CompleteAsync();
                }

                await tx.CommitAsync();
            }
        })));
        return perConnection * connections / clock.Elapsed.TotalSeconds;
    }
}
