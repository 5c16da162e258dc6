using CostGrains.Server.Hosting;

// A CostGrains node: the HTTP API and live hub in front of a co-hosted Orleans silo.
// No configuration: embedded (in-memory) mode. ConnectionStrings__Postgres: PostgreSQL mode.
var app = await ServerApp.BuildAsync(args);
await app.RunAsync();

/// <summary>The entry point, visible to in-process tests.</summary>
public partial class Program;
