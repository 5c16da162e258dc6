using System.Net;
using System.Net.Http.Json;
using CostGrains.Agent;

namespace CostGrains.IntegrationTests;

/// <summary>The costgrains command line against a real node: month-to-date usage and a CSV report.</summary>
public sealed class CliTests
{
    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Cli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Project_usage_and_report_print_what_the_api_serves()
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        var key = await server.CreateOrgAsync("acme", "admin");
        using var admin = server.Client(key);
        var now = DateTimeOffset.UtcNow.AddMinutes(-1);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("v1/events", new object[]
        {
            new { id = "a", time = now, project = "web", amount = 4.25m, category = "compute", resource = "vm-1" },
            new { id = "b", time = now, project = "web", amount = 1.5m, category = "storage", resource = "bucket-1" },
            new { id = "c", time = now, project = "db", amount = 2m, category = "compute", resource = "pg-1" },
        })).StatusCode);
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));
        var url = server.BaseAddress.ToString();

        var usage = await Run("project", "usage", "--project", "web", "--url", url, "--key", key);
        Assert.Equal(0, usage.Code);
        var rows = usage.Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Project web,", rows[0]);
        Assert.Matches(@"^vm-1\s+compute\s+4\.25$", rows[2]);
        Assert.Matches(@"^bucket-1\s+storage\s+1\.50$", rows[3]);
        Assert.Matches(@"^TOTAL\s+5\.75$", rows[^1]);

        var today = DateOnly.FromDateTime(now.UtcDateTime).ToString("yyyy-MM-dd");
        var report = await Run("report", "--from", today, "--to", today, "--format", "csv", "--url", url, "--key", key);
        Assert.Equal(0, report.Code);
        var csv = report.Output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("date,project,project_name,category,amount_usd", csv[0]);
        Assert.Equal([$"{today},db,db,compute,2", $"{today},web,web,compute,4.25", $"{today},web,web,storage,1.5"], csv[1..]);

        var json = await Run("report", "--preset", "this-month", "--projects", "db", "--format", "json", "--url", url, "--key", key);
        Assert.Equal(2m, System.Text.Json.JsonDocument.Parse(json.Output).RootElement.GetProperty("total").GetDecimal());

        // Errors: the server's problem on stderr and exit code 1; usage errors exit 1 from the parser.
        var missing = await Run("project", "usage", "--project", "ghost", "--url", url, "--key", key);
        Assert.Equal(1, missing.Code);
        Assert.Contains("404", missing.Error);
        var half = await Run("report", "--from", today, "--url", url, "--key", key);
        Assert.NotEqual(0, half.Code);
        Assert.Contains("--to", half.Error);
        Assert.Equal(2, (await Run("report", "--url", url, "--key", "")).Code);
    }
}
