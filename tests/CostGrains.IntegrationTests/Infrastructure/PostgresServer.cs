using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CostGrains.Testing;

/// <summary>
/// The PostgreSQL the tests talk to: <c>COSTGRAINS_TEST_POSTGRES</c> when it is set (a connection
/// string to a server where databases may be created), else a throwaway cluster started from the
/// installed binaries in a temporary folder and removed afterwards. Without either, tests fail.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string? _dataDir;
    private readonly string _adminConnectionString;
    private readonly string? _binDir;

    private PostgresServer(string adminConnectionString, string? dataDir, string? binDir, int port)
    {
        _adminConnectionString = adminConnectionString;
        _dataDir = dataDir;
        _binDir = binDir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>True for a throwaway cluster (which tests may stop and start).</summary>
    public bool IsThrowaway => _dataDir is not null;

    public static async Task<PostgresServer> StartAsync(bool forceThrowaway = false)
    {
        var configured = Environment.GetEnvironmentVariable("COSTGRAINS_TEST_POSTGRES");
        if (!forceThrowaway && !string.IsNullOrWhiteSpace(configured))
        {
            return new PostgresServer(configured, null, null, new NpgsqlConnectionStringBuilder(configured).Port);
        }

        var binDir = FindBinaries() ?? throw new InvalidOperationException(
            "No PostgreSQL for the tests: set COSTGRAINS_TEST_POSTGRES or install PostgreSQL (apt-get install -y postgresql).");
        var dataDir = Path.Combine(Path.GetTempPath(), $"costgrains-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDir);
        var port = FreePort();
        var server = new PostgresServer(
            $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=5", dataDir, binDir, port);
        if (IsRoot)
        {
            await Run("chown", $"postgres:postgres {dataDir}");
        }

        await server.RunPg("initdb", $"-D {dataDir}/data -A trust -U postgres -E UTF8 --no-sync");
        await server.StartInstanceAsync();
        return server;
    }

    /// <summary>A fresh, empty database and its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 60)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, Pooling = true, Timeout = 60, CommandTimeout = 60 }.ConnectionString;
    }

    /// <summary>Stops the throwaway cluster (fast shutdown: open connections are cut).</summary>
    public Task StopInstanceAsync() => RunPg("pg_ctl", $"-D {_dataDir}/data -m fast -w stop");

    public Task StartInstanceAsync() => RunPg("pg_ctl",
        $"-D {_dataDir}/data -l {_dataDir}/log -w -t 60 -o \"-p {Port} -k {_dataDir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers=256MB {Environment.GetEnvironmentVariable("COSTGRAINS_TEST_PG_OPTIONS")}\" start");

    public async ValueTask DisposeAsync()
    {
        if (_dataDir is null)
        {
            return;
        }

        try
        {
            await RunPg("pg_ctl", $"-D {_dataDir}/data -m immediate -w stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_dataDir, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPg(string tool, string arguments)
    {
        var path = Path.Combine(_binDir!, tool);
        return IsRoot ? Run("runuser", $"-u postgres -- {path} {arguments}") : Run(path, arguments);
    }

    private static async Task Run(string file, string arguments)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")));
        }

        return candidates
            .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            .Select(d => Path.GetDirectoryName(Path.GetFullPath(ResolveLink(Path.Combine(d, "initdb")))))
            .FirstOrDefault();
    }

    private static string ResolveLink(string path) =>
        new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
