using System.CommandLine;
using System.Globalization;
using CostGrains.Client;

namespace CostGrains.Agent;

/// <summary>
/// The <c>costgrains</c> command line: <c>loadgen</c> drives a node; <c>project usage</c> and
/// <c>report</c> read spend for scripts and terminals.
/// </summary>
public static class Cli
{
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        Build(output, error).Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);

    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var url = new Option<Uri>("--url")
        {
            Description = "CostGrains node address (or set COSTGRAINS_URL).",
            DefaultValueFactory = _ => new Uri(Environment.GetEnvironmentVariable("COSTGRAINS_URL") is { Length: > 0 } env ? Slash(env) : "http://127.0.0.1:5080/"),
            CustomParser = result =>
            {
                var text = result.Tokens.Single().Value;
                if (Uri.TryCreate(Slash(text), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                {
                    return uri;
                }

                result.AddError($"--url must be an absolute http(s) address, not '{text}'.");
                return null;
            },
        };
        var key = new Option<string>("--key")
        {
            Description = "API key (or set COSTGRAINS_KEY): ingest or admin for loadgen, member or admin to read.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COSTGRAINS_KEY") ?? "",
        };
        var org = new Option<string?>("--org") { Description = "Organization, when the key is the platform administrator's." };

        var root = new RootCommand("CostGrains agent: send usage to a CostGrains node and read what it cost.")
        {
            LoadGen(url, key, org, output, error),
            Project(url, key, org, output, error),
            Report(url, key, org, output, error),
        };
        return root;
    }

    private static string Slash(string text) => text.EndsWith('/') ? text : text + "/";

    private static Command LoadGen(Option<Uri> url, Option<string> key, Option<string?> org, TextWriter output, TextWriter error)
    {
        var agents = new Option<int>("--agents") { Description = "Concurrent simulated agents.", DefaultValueFactory = _ => 8 };
        var events = new Option<long>("--events") { Description = "Events to send in all.", DefaultValueFactory = _ => 100_000 };
        var batch = new Option<int>("--batch") { Description = "Events per request (at most 10,000).", DefaultValueFactory = _ => 1_000 };
        var projects = new Option<int>("--projects") { Description = "Distinct projects the events spread over.", DefaultValueFactory = _ => 1_000 };
        var sku = new Option<string?>("--sku") { Description = "Send SKU quantities to be rated (else pre-rated amounts)." };
        var runId = new Option<string>("--run-id") { Description = "Prefix of event ids; reuse it to resend the same events.", DefaultValueFactory = _ => Guid.NewGuid().ToString("N")[..8] };

        var loadgen = new Command("loadgen", "Drive a node with many concurrent simulated agents and report events/s and ack latency.")
        {
            url, key, org, agents, events, batch, projects, sku, runId,
        };
        loadgen.SetAction(async (result, cancellationToken) =>
        {
            if (RequireKey(result.GetValue(key), error) is not { } apiKey)
            {
                return 2;
            }

            var options = new LoadOptions(result.GetValue(url)!, apiKey, result.GetValue(org), result.GetValue(agents),
                result.GetValue(events), result.GetValue(batch), result.GetValue(projects), result.GetValue(sku), result.GetValue(runId)!);
            var report = await LoadGenerator.RunAsync(options, cancellationToken);
            await output.WriteLineAsync(report.ToString());
            return report.Accepted + report.Duplicates == report.Events ? 0 : 1;
        });
        return loadgen;
    }

    private static Command Project(Option<Uri> url, Option<string> key, Option<string?> org, TextWriter output, TextWriter error)
    {
        var project = new Option<string>("--project") { Description = "The project's key.", Required = true };
        var month = new Option<string?>("--month") { Description = "A month YYYY-MM (default: this month, to date)." };
        var tz = new Option<string?>("--tz") { Description = "IANA time zone of the month's boundaries (default UTC)." };
        var format = Format("table", "json");
        var usage = new Command("usage", "Month-to-date billed usage of a project, by resource.") { url, key, org, project, month, tz, format };
        usage.SetAction(async (result, cancellationToken) =>
        {
            if (RequireKey(result.GetValue(key), error) is not { } apiKey)
            {
                return 2;
            }

            using var reader = new CostGrainsReader(result.GetValue(url)!, apiKey, result.GetValue(org));
            return await Guard(error, async () =>
            {
                var u = await reader.GetProjectUsageAsync(result.GetValue(project)!, result.GetValue(month), result.GetValue(tz), cancellationToken);
                await output.WriteAsync(result.GetValue(format) switch
                {
                    "json" => System.Text.Json.JsonSerializer.Serialize(u, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true }) + Environment.NewLine,
                    _ => Table(
                        $"Project {u.Project}, {u.From:yyyy-MM-dd} to {u.To:yyyy-MM-dd} ({u.TimeZone})",
                        ["RESOURCE", "CATEGORY", "USD"],
                        u.Resources.Select(r => new[] { r.Resource, r.Category, Money(r.Amount) }),
                        ["TOTAL", "", Money(u.Total)]),
                });
                return 0;
            });
        });
        return new Command("project", "Read a project's spend.") { usage };
    }

    private static Command Report(Option<Uri> url, Option<string> key, Option<string?> org, TextWriter output, TextWriter error)
    {
        var from = new Option<DateOnly?>("--from") { Description = "First day, YYYY-MM-DD (with --to)." };
        var to = new Option<DateOnly?>("--to") { Description = "Last day, YYYY-MM-DD (included)." };
        var preset = new Option<string?>("--preset") { Description = "this-month, previous-month, last-3-months, last-6-months or last-12-months." };
        var account = new Option<string?>("--account") { Description = "A billing account (default: every project of the organization)." };
        var projects = new Option<string[]>("--projects") { Description = "Only these projects.", AllowMultipleArgumentsPerToken = true };
        var tz = new Option<string?>("--tz") { Description = "IANA time zone of the day boundaries." };
        var format = Format("csv", "json");
        var report = new Command("report", "Daily cost per project over a date range, as CSV or JSON.") { url, key, org, from, to, preset, account, projects, tz, format };
        report.Validators.Add(result =>
        {
            if ((result.GetValue(from) is null) != (result.GetValue(to) is null))
            {
                result.AddError("Give both --from and --to, or neither.");
            }
        });
        report.SetAction(async (result, cancellationToken) =>
        {
            if (RequireKey(result.GetValue(key), error) is not { } apiKey)
            {
                return 2;
            }

            using var reader = new CostGrainsReader(result.GetValue(url)!, apiKey, result.GetValue(org));
            return await Guard(error, async () =>
            {
                var request = new ReportRequest(result.GetValue(preset), result.GetValue(from), result.GetValue(to), result.GetValue(account),
                    result.GetValue(projects), result.GetValue(tz));
                await output.WriteAsync(await reader.GetReportAsync(request, result.GetValue(format)!, cancellationToken));
                return 0;
            });
        });
        return report;
    }

    private static Option<string> Format(params string[] formats)
    {
        var option = new Option<string>("--format") { Description = $"Output: {string.Join(", ", formats)}.", DefaultValueFactory = _ => formats[0] };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    private static string? RequireKey(string? key, TextWriter error)
    {
        if (!string.IsNullOrEmpty(key))
        {
            return key;
        }

        error.WriteLine("An API key is required: --key or COSTGRAINS_KEY.");
        return null;
    }

    private static async Task<int> Guard(TextWriter error, Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (CostGrainsRequestException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"Could not reach CostGrains: {ex.Message}");
            return 1;
        }
    }

    private static string Money(decimal amount) => amount.ToString("0.00########", CultureInfo.InvariantCulture);

    private static string Table(string title, string[] header, IEnumerable<string[]> rows, string[] footer)
    {
        var all = rows.Prepend(header).Append(footer).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        string Line(string[] r) => string.Join("  ", r.Select((c, i) => i == r.Length - 1 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd();
        var lines = new List<string> { title, Line(header) };
        lines.AddRange(all.Skip(1).SkipLast(1).Select(Line));
        lines.Add(new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        lines.Add(Line(footer));
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}
