using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CostGrains.Postgres.Migrations;

/// <summary>
/// Applies the versioned scripts in <c>Sql/NNN_name.sql</c> that the database has not seen yet,
/// each in its own transaction, under an advisory lock so that nodes starting together take turns.
/// </summary>
public static class PostgresMigrator
{
    private const long LockId = 0x436F73744772; // "CostGr"

    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts { get; } = LoadScripts();

    public static async Task<int> MigrateAsync(NpgsqlDataSource db, ILogger logger, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await Execute(connection, null, $"SELECT pg_advisory_lock({LockId})", cancellationToken);
        try
        {
            await Execute(connection, null, """
                CREATE TABLE IF NOT EXISTS cg_schema_migration (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);

            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM cg_schema_migration", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var count = 0;
            foreach (var (version, name, sql) in Scripts.Where(s => !applied.Contains(s.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, tx, sql, cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO cg_schema_migration (version, name) VALUES ($1, $2)", connection, tx))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = version });
                    record.Parameters.Add(new NpgsqlParameter { Value = name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                logger.LogInformation("Applied migration {Version} {Name}", version, name);
                count++;
            }

            return count;
        }
        finally
        {
            await Execute(connection, null, $"SELECT pg_advisory_unlock({LockId})", CancellationToken.None);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(int, string, string)> LoadScripts()
    {
        var assembly = typeof(PostgresMigrator).Assembly;
        const string prefix = "CostGrains.Postgres.Sql.";
        var scripts = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var name = Path.GetFileNameWithoutExtension(resource[prefix.Length..]);
            var version = int.Parse(name[..name.IndexOf('_', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, name, reader.ReadToEnd()));
        }

        return scripts.OrderBy(s => s.Item1).ToList();
    }
}
