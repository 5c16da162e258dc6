using System.CommandLine;
using CostGrains.Agent;

// costgrains: the command-line metering agent.
var url = new Option<Uri>("--url")
{
    Description = "CostGrains node address.",
    DefaultValueFactory = _ => new Uri("http://127.0.0.1:5080/"),
    CustomParser = result =>
    {
        var text = result.Tokens.Single().Value;
        if (Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        result.AddError($"--url must be an absolute http(s) address, not '{text}'.");
        return null;
    },
};
var key = new Option<string>("--key")
{
    Description = "API key with role ingest or admin (or set COSTGRAINS_KEY).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COSTGRAINS_KEY") ?? "",
};
var org = new Option<string?>("--org") { Description = "Organization, when the key is the platform administrator's." };
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
    var apiKey = result.GetValue(key);
    if (string.IsNullOrEmpty(apiKey))
    {
        await Console.Error.WriteLineAsync("An API key is required: --key or COSTGRAINS_KEY.");
        return 2;
    }

    var options = new LoadOptions(result.GetValue(url)!, apiKey, result.GetValue(org), result.GetValue(agents),
        result.GetValue(events), result.GetValue(batch), result.GetValue(projects), result.GetValue(sku), result.GetValue(runId)!);
    var report = await LoadGenerator.RunAsync(options, cancellationToken);
    Console.WriteLine(report);
    return report.Accepted + report.Duplicates == report.Events ? 0 : 1;
});

var root = new RootCommand("CostGrains agent: send usage to a CostGrains node.") { loadgen };
return await root.Parse(args).InvokeAsync();
