using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CostGrains.Server.Hosting;
using CostGrains.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CostGrains.Benchmarks;

/// <summary>A CostGrains node on PostgreSQL in this process, on a loopback port.</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private const string AdminKey = "bench-admin";
    private readonly WebApplication _app;

    private BenchNode(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();

    public static async Task<BenchNode> StartAsync(string connectionString)
    {
        var port = PostgresServer.FreePort();
        var app = await ServerApp.BuildAsync([$"--urls=http://127.0.0.1:{port}"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connectionString,
            ["COSTGRAINS_ADMIN_KEY"] = AdminKey,
            ["Orleans:Endpoints:SiloPort"] = PostgresServer.FreePort().ToString(),
            ["Orleans:Endpoints:GatewayPort"] = PostgresServer.FreePort().ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
        }));
        await app.StartAsync();
        return new BenchNode(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    public async Task<string> CreateOrgAsync(string org)
    {
        (await Http.PostAsJsonAsync("v1/orgs", new { key = org })).EnsureSuccessStatusCode();
        var response = await Http.PostAsJsonAsync($"v1/orgs/{org}/keys", new { role = "admin" });
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    public async Task WaitConsistentAsync(string org, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var result = await Http.GetFromJsonAsync<JsonElement>($"v1/reconciliation?org={org}");
            if (result.GetProperty("consistent").GetBoolean())
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{org} did not reconcile within {timeout}.");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
