using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using CostGrains.Hosting;
using CostGrains.Ledger;
using CostGrains.Postgres.Hosting;
using CostGrains.Server.Apis;
using CostGrains.Server.Auth;
using CostGrains.Server.Hubs;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;

namespace CostGrains.Server.Hosting;

/// <summary>Builds a CostGrains node: ASP.NET Core front end with a co-hosted Orleans silo.</summary>
public static class ServerApp
{
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        if (string.Equals(builder.Configuration["COSTGRAINS_LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders().AddJsonConsole();
        }

        var mode = await builder.AddStorageAsync();
        builder.AddApiServices();

        var app = builder.Build();
        app.MapCostGrains(mode);
        return app;
    }

    /// <summary>PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, else the embedded in-memory default.</summary>
    private static async Task<StorageMode> AddStorageAsync(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var connectionString = config.GetConnectionString("Postgres");
        var partitions = config.GetValue("CostGrains:Ledger:Partitions", LedgerPartitioning.DefaultPartitions);
        var siloPort = config.GetValue("Orleans:Endpoints:SiloPort", 11111);
        var gatewayPort = config.GetValue("Orleans:Endpoints:GatewayPort", 30000);
        using var loggerFactory = LoggerFactory.Create(l => l.AddConsole());
        var logger = loggerFactory.CreateLogger("CostGrains.Startup");

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            builder.UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort);
                silo.AddMemoryGrainStorage(GrainStorage.Name);
                silo.UseInMemoryReminderService();
                silo.Services.AddSingleton<ILedger>(new InMemoryLedger(partitions));
                silo.AddCostGrainsCore(config);
            });
            return StorageMode.Embedded;
        }

        await PostgresSiloExtensions.MigrateAsync(connectionString, partitions, logger, TimeSpan.FromSeconds(60));
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = config["Orleans:ClusterId"] ?? "costgrains";
                o.ServiceId = config["Orleans:ServiceId"] ?? "costgrains";
            });
            if (AdvertisedAddress(config["Orleans:Endpoints:AdvertisedIPAddress"]) is { } advertised)
            {
                silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: true);
            }
            else
            {
                silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort);
            }

            silo.AddCostGrainsPostgres(connectionString, o =>
            {
                o.Partitions = partitions;
                config.GetSection("CostGrains:Ledger").Bind(o);
            });
            silo.AddCostGrainsCore(config);
        });
        builder.Services.AddHealthChecks().AddNpgSql(connectionString);
        return StorageMode.Postgres;
    }

    /// <summary>An IP address, or a host name (such as a container's) resolved to its IPv4 address.</summary>
    private static IPAddress? AdvertisedAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return IPAddress.TryParse(value, out var ip)
            ? ip
            : Dns.GetHostAddresses(value).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new InvalidOperationException($"Orleans:Endpoints:AdvertisedIPAddress '{value}' does not resolve to an IPv4 address.");
    }

    private static void AddApiServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuredKey = builder.Configuration["COSTGRAINS_ADMIN_KEY"];
        services.AddSingleton(string.IsNullOrWhiteSpace(configuredKey)
            ? new AdminKey(ApiKeys.NewSecret(), generated: true)
            : new AdminKey(configuredKey, generated: false));
        services.AddMemoryCache();
        services.AddSingleton<ApiKeys>();
        services.AddAuthentication(Principals.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(Principals.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Principals.CanManagePlatform, p => p.RequireClaim(Principals.RoleClaim, Principals.PlatformRole))
            .AddPolicy(Principals.CanAdmin, p => p.RequireClaim(Principals.RoleClaim, Principals.PlatformRole, "admin"))
            .AddPolicy(Principals.CanRead, p => p.RequireClaim(Principals.RoleClaim, Principals.PlatformRole, "admin", "member"))
            .AddPolicy(Principals.CanIngest, p => p.RequireClaim(Principals.RoleClaim, Principals.PlatformRole, "admin", "ingest"));
        services.AddSignalR();
        services.AddHostedService<LiveHubRelay>();
        services.AddProblemDetails();
        services.AddOpenApi();
        services.AddHealthChecks().AddCheck<SiloReadyCheck>("silo", tags: ["ready"]);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
        services.TryAddSingleton(TimeProvider.System);
    }

    private static void MapCostGrains(this WebApplication app, StorageMode mode)
    {
        app.UseExceptionHandler(handler => handler.Run(WriteUnhandled));
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        app.MapOrganizationsApi();

        // Everything below acts on one organization: the key's, or the platform administrator's ?org=.
        var scoped = app.MapGroup("").RequireOrg();
        scoped.MapSkusApi();
        scoped.MapEventsApi();
        scoped.MapAggregatesApi();
        scoped.MapProjectsApi();
        scoped.MapReconciliationApi();
        scoped.MapBudgetsApi();
        scoped.MapWebhooksApi();
        scoped.MapBillingApi();
        scoped.MapProjectSpendApi();
        app.MapHub<CostHub>(CostHub.Path);

        app.Lifetime.ApplicationStarted.Register(() => Announce(app, mode));
    }

    private static void Announce(WebApplication app, StorageMode mode)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CostGrains");
        if (mode == StorageMode.Embedded)
        {
            logger.LogWarning("""
                ************************************************************************
                EMBEDDED MODE: ledger and grain state live in memory and are NOT DURABLE.
                Everything is lost when this process stops. Set ConnectionStrings__Postgres
                to run on PostgreSQL.
                ************************************************************************
                """);
        }
        else
        {
            logger.LogInformation("CostGrains node running on PostgreSQL (durable ledger, grain state, clustering).");
        }

        var admin = app.Services.GetRequiredService<AdminKey>();
        if (admin.Generated)
        {
            // Shown once, on standard output, so it can be copied; it is not logged anywhere else.
            Console.WriteLine($"COSTGRAINS_ADMIN_KEY was not set. Platform administrator key for this run: {admin.Secret}");
        }
    }

    private static async Task WriteUnhandled(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is not null && IsTransient(error))
        {
            context.Response.Headers.RetryAfter = "1";
            await Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                "The durable store is not reachable right now; nothing of this request was stored. Retry the request.");
            return;
        }

        await Problems.Write(context, StatusCodes.Status500InternalServerError, "Internal error",
            "The request failed unexpectedly; nothing of it was stored if it was an ingest. Retry, and report it if it persists.");
    }

    /// <summary>Failures of the database or the cluster that a retry can get past.</summary>
    public static bool IsTransient(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is DbException or TimeoutException or SocketException or IOException or OrleansException
                || e.GetType().Name.Contains("Npgsql", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private enum StorageMode
    {
        Embedded,
        Postgres,
    }
}

/// <summary>Ready once the silo has started (the node accepts events).</summary>
internal sealed class SiloReadyCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStarted.IsCancellationRequested
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The node is still starting."));
}
