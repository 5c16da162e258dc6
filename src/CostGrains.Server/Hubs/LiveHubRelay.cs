using Microsoft.AspNetCore.SignalR;

namespace CostGrains.Server.Hubs;

/// <summary>
/// This silo's hub as a grain observer: the live outbox of every silo sends it updates, and it
/// forwards each to the SignalR group of its aggregate. Registers itself in the hub directory
/// every few seconds for as long as the node runs.
/// </summary>
public sealed class LiveHubRelay(IHubContext<CostHub> hub, IGrainFactory grains, ILocalSiloDetails silo, ILogger<LiveHubRelay> logger)
    : BackgroundService, ILiveHub
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Sends <c>burn</c> per update, <c>budgetCrossed</c> per budget crossing and <c>alert</c> per other
    /// alert (runaway, credits) to the aggregate's group.
    /// </summary>
    public Task Send(IReadOnlyList<BurnUpdate> updates, IReadOnlyList<BudgetAlert> crossings) =>
        Task.WhenAll(
            updates.Select(u => hub.Clients.Group(CostHub.Group(u.Kind, u.Org, u.Key)).SendAsync("burn", new
            {
                kind = u.Kind.Name(),
                key = u.Key,
                perHour = u.PerHour,
                total = u.Total,
                at = u.At,
                creditBalance = u.CreditBalance,
            })).Concat(crossings.Select(c => hub.Clients.Group(CostHub.Group(c.Kind, c.Org, c.Key)).SendAsync(
                c.AlertType == AlertTypes.Budget ? "budgetCrossed" : "alert", AlertMessage.From(c)))));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reference = grains.CreateObjectReference<ILiveHub>(this);
        var directory = grains.GetGrain<ILiveHubDirectoryGrain>(0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await directory.Register(silo.SiloAddress.ToParsableString(), reference);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Registering this node's live hub failed; retrying");
            }

            try
            {
                await Task.Delay(Refresh, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
