using CostGrains.Postgres.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CostGrains.Server.Hosting;

/// <summary>Ready only while PostgreSQL answers: a node that cannot commit cannot accept events.</summary>
internal sealed class NpgsqlHealthCheck(string connectionString) : IHealthCheck, IDisposable
{
    private readonly Npgsql.NpgsqlDataSource _db = PostgresSiloExtensions.CreateDataSource(connectionString);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = _db.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.", ex);
        }
    }

    public void Dispose() => _db.Dispose();
}

internal static class NpgsqlHealthCheckExtensions
{
    public static IHealthChecksBuilder AddNpgSql(this IHealthChecksBuilder builder, string connectionString) =>
        builder.AddCheck("postgres", new NpgsqlHealthCheck(connectionString), tags: ["ready"]);
}
