using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CostGrains.Server.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace CostGrains.Testing;

/// <summary>The hub's messages as a client receives them.</summary>
public sealed record BurnMessage(string Kind, string Key, decimal PerHour, decimal Total, DateTimeOffset At, decimal? CreditBalance = null);

/// <summary>A non-budget alert (runaway, credits) as the hub sends it.</summary>
public sealed record AlertMessageDto(string Id, string Type, string Kind, string Key, string Period, decimal Threshold, decimal Used, decimal Limit);

public sealed record CrossingMessage(string Kind, string Key, decimal Threshold, decimal PercentUsed, string Period, DateTimeOffset At);

/// <summary>Small API helpers for test clients.</summary>
public static class TestApi
{
    /// <summary>Posts events that must be accepted (202); a refusal fails the test with the server's problem.</summary>
    public static async Task SendEventsAsync(this HttpClient client, params object[] events)
    {
        var response = await client.PostAsJsonAsync("v1/events", events);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>What every test server offers: its address, an admin HTTP client and API helpers.</summary>
public abstract class TestServerBase : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key";

    protected TestServerBase(int httpPort)
    {
        BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        Http = Client(AdminKey);
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public HttpClient Client(string? key)
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    /// <summary>A (not yet started) connection to the live hub with the given key.</summary>
    public HubConnection ConnectHub(string? key, string? org = null) => new HubConnectionBuilder()
        .WithUrl(new Uri(BaseAddress, "hubs/cost" + (org is null ? "" : $"?org={org}")), o =>
        {
            if (key is not null)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
            }
        })
        .Build();

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var probe = Client(null);
        await Poll.Until(async () =>
        {
            try
            {
                return (await probe.GetAsync("health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, ok => ok, timeout, $"{BaseAddress} to be ready");
    }

    /// <summary>Creates an organization and returns a key of the given role for it.</summary>
    public async Task<string> CreateOrgAsync(string org, string role = "admin")
    {
        (await Http.PostAsJsonAsync("v1/orgs", new { key = org, name = org })).EnsureSuccessStatusCode();
        return await CreateKeyAsync(org, role);
    }

    public async Task<string> CreateKeyAsync(string org, string role)
    {
        var response = await Http.PostAsJsonAsync($"v1/orgs/{org}/keys", new { role });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    public async Task PutSkuAsync(string org, string code, string unit, string category, params (string From, decimal Price)[] rates)
    {
        var response = await Http.PutAsJsonAsync($"v1/skus/{code}?org={org}",
            new { unit, category, rates = rates.Select(r => new { from = r.From, price = r.Price }) });
        response.EnsureSuccessStatusCode();
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var response = await Http.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Waits until every aggregate of the organization equals its ledger sum.</summary>
    public Task<JsonElement> WaitConsistentAsync(string org, TimeSpan timeout) =>
        Poll.Until(() => GetJsonAsync($"v1/reconciliation?org={org}"), r => r.GetProperty("consistent").GetBoolean(),
            timeout, $"aggregates of {org} to equal the ledger");

    public abstract ValueTask DisposeAsync();
}

/// <summary>A CostGrains node in the test process (real Kestrel on a loopback port, real silo).</summary>
public sealed class InProcessServer : TestServerBase
{
    private readonly WebApplication _app;

    private InProcessServer(WebApplication app, int port) : base(port) => _app = app;

    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessServer> StartAsync(string? connectionString, IDictionary<string, string?>? settings = null)
    {
        // A port found free can be taken by an outgoing connection before the node binds it:
        // then start over on fresh ports.
        for (var attempt = 1; ; attempt++)
        {
            var port = PostgresServer.FreePort();
            var app = await Build(port, connectionString, settings);
            try
            {
                await app.StartAsync();
            }
            catch (Exception ex) when (attempt < 5 && IsAddressInUse(ex))
            {
                await app.DisposeAsync();
                continue;
            }

            var server = new InProcessServer(app, port);
            await server.WaitReadyAsync(TimeSpan.FromSeconds(60));
            return server;
        }
    }

    private static Task<WebApplication> Build(int port, string? connectionString, IDictionary<string, string?>? settings)
    {
        var config = new Dictionary<string, string?>
        {
            ["COSTGRAINS_ADMIN_KEY"] = AdminKey,
            ["Orleans:Endpoints:SiloPort"] = PostgresServer.FreePort().ToString(),
            ["Orleans:Endpoints:GatewayPort"] = PostgresServer.FreePort().ToString(),
            ["Orleans:ClusterId"] = $"test-{Guid.NewGuid():N}",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
            ["ConnectionStrings:Postgres"] = connectionString,
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            config[k] = v;
        }

        // The dashboard's files live in the server project (as under `dotnet run`), not beside the tests.
        var contentRoot = Path.Combine(RepositoryRoot(), "src", "CostGrains.Server");
        return ServerApp.BuildAsync([$"--urls=http://127.0.0.1:{port}", $"--contentRoot={contentRoot}"],
            b => b.Configuration.AddInMemoryCollection(config));
    }

    private static bool IsAddressInUse(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is Microsoft.AspNetCore.Connections.AddressInUseException
                or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CostGrains.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("CostGrains.sln not found above the test binaries.");
    }

    public override async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A CostGrains node as its own OS process, for tests that kill it.</summary>
public sealed class ServerProcess : TestServerBase
{
    private readonly Process _process;

    private ServerProcess(Process process, int port) : base(port) => _process = process;

    public int Pid => _process.Id;

    /// <summary>A node with its own free ports, joining the cluster <paramref name="clusterId"/>.</summary>
    public static Task<ServerProcess> StartNodeAsync(string connectionString, string clusterId) =>
        StartAsync(connectionString, PostgresServer.FreePort(), PostgresServer.FreePort(), PostgresServer.FreePort(), clusterId);

    public static async Task<ServerProcess> StartAsync(string connectionString, int httpPort, int siloPort, int gatewayPort, string clusterId)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{ServerDll()}\" --urls http://127.0.0.1:{httpPort}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["COSTGRAINS_ADMIN_KEY"] = AdminKey;
        info.Environment["Orleans__Endpoints__SiloPort"] = siloPort.ToString();
        info.Environment["Orleans__Endpoints__GatewayPort"] = gatewayPort.ToString();
        info.Environment["Orleans__ClusterId"] = clusterId;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, httpPort);
        await server.WaitReadyAsync(TimeSpan.FromSeconds(90));
        return server;
    }

    /// <summary>SIGKILL: no shutdown, no flush, nothing.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public override async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static string ServerDll()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "CostGrains.Server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("CostGrains.Server.dll is not beside the tests.", dll);
    }
}
