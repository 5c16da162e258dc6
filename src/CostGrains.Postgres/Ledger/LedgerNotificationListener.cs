using CostGrains.Ledger;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CostGrains.Postgres.Ledger;

/// <summary>
/// Holds one connection on <c>LISTEN</c> and raises the ledger signal for the partitions another
/// node committed to, so receivers on this node read within milliseconds. After a lost connection
/// it raises every partition (notifications may have been missed); receivers also poll as a fallback.
/// </summary>
public sealed class LedgerNotificationListener(
    NpgsqlDataSource db, PostgresLedger ledger, PostgresLedgerOptions options, ILogger<LedgerNotificationListener> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => ledger.Signal.Raise(Parse(e.Payload, ledger.Partitions, ledger.NodeId));
                await using (var listen = new NpgsqlCommand($"LISTEN {options.NotifyChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                ledger.Signal.RaiseAll();
                delay = TimeSpan.FromMilliseconds(250);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Ledger notification listener lost its connection; reconnecting in {Delay}", delay);
                ledger.Signal.RaiseAll();
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>
    /// The partitions of a notification <c>{node}|{p},{p},…</c>. This node's own notifications are
    /// skipped: its writer wakes the local readers itself, after handing them the rows in memory,
    /// and waking them earlier would send them to the database for those rows.
    /// </summary>
    internal static IEnumerable<int> Parse(string payload, int partitions, string ownNode)
    {
        var bar = payload.IndexOf('|', StringComparison.Ordinal);
        if (bar >= 0 && payload.AsSpan(0, bar).SequenceEqual(ownNode))
        {
            yield break;
        }

        foreach (var part in payload[(bar + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, out var p) && p >= 0 && p < partitions)
            {
                yield return p;
            }
        }
    }
}
