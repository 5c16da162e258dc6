using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CostGrains.Ingest;

/// <summary>
/// Reads the resource fields of <c>instance</c>, <c>bucket</c> and <c>deployment</c> events:
/// <list type="bullet">
/// <item><c>instance</c>: <c>state</c> running|stopped|deleted, <c>hourlyCost</c> or <c>sku</c> (× <c>quantity</c>, default 1), <c>specs</c>, <c>host</c>.</item>
/// <item><c>bucket</c>: <c>state</c> active|deleted, its warm-storage rate as <c>hourlyCost</c> or <c>sku</c> × <c>quantity</c> (e.g. GiB).</item>
/// <item><c>deployment</c>: <c>state</c> active|deleted, <c>replicas</c>, <c>resources.requests</c> (priced by the SKUs named like the requests).</item>
/// </list>
/// </summary>
public static partial class ResourceReports
{
    public const int MaxReplicas = 100_000;

    /// <summary>Hours in the month the "monthly-equivalent" price of a deployment is quoted for (365 × 24 / 12).</summary>
    public const decimal HoursPerMonth = 730m;

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Quantity();

    /// <summary>
    /// The SKU that prices a deployment request: the request's name, with '/' read as '.' (SKU codes
    /// are path segments), so <c>nvidia.com/gpu</c> is priced by the SKU <c>nvidia.com.gpu</c>.
    /// </summary>
    public static string SkuOfRequest(string request) => request.Replace('/', '.');

    public static ResourceReport? Parse(
        JsonElement e, EventType type, TargetKind? kind, string? sku, decimal? amount, string? resource, Action<string, string> fail)
    {
        if (kind is not null and not TargetKind.Project)
        {
            fail("type", $"'{type.Name()}' events report a project's resource: give 'project' as the target.");
        }

        if (resource is null)
        {
            fail("resource", $"Required for '{type.Name()}' events: the name of the {type.Name()}.");
        }

        if (amount is not null)
        {
            fail("amount", $"'{type.Name()}' events carry no amount: cost is billed by 'usage' events.");
        }

        var state = UsageEventParser.String(e, "state", fail, required: false) ?? type.States()[0];
        if (!type.States().Contains(state))
        {
            fail("state", $"Must be one of {string.Join(", ", type.States())}.");
        }

        var hourlyCost = UsageEventParser.Number(e, "hourlyCost", fail);
        if (hourlyCost < 0)
        {
            fail("hourlyCost", "Must be zero or more.");
        }

        var details = new JsonObject();
        int? replicas = null;
        Dictionary<string, decimal>? requests = null;
        if (type == EventType.Deployment)
        {
            replicas = Replicas(e, fail);
            requests = Requests(e, fail);
            if (sku is not null || hourlyCost is not null)
            {
                fail(sku is not null ? "sku" : "hourlyCost", "A deployment is priced by its 'resources.requests' (one SKU per request name) × 'replicas'.");
            }

            details["replicas"] = replicas;
            if (requests is not null)
            {
                details["requests"] = new JsonObject(requests.Select(r => KeyValuePair.Create(r.Key, (JsonNode?)JsonValue.Create(r.Value))));
            }
        }
        else
        {
            if (sku is not null && hourlyCost is not null)
            {
                fail("hourlyCost", "Give either 'hourlyCost' or 'sku', not both.");
            }
            else if (sku is null && hourlyCost is null && state is ResourceStates.Running or ResourceStates.Active)
            {
                fail("hourlyCost", $"Required for a {state} {type.Name()} (or give 'sku' and 'quantity').");
            }

            if (type == EventType.Instance)
            {
                if (Specs(e, fail) is { } specs)
                {
                    details["specs"] = specs;
                }

                if (UsageEventParser.String(e, "host", fail, required: false) is { } host)
                {
                    if (host.Length > 256)
                    {
                        fail("host", "Must be at most 256 characters.");
                    }

                    details["host"] = host;
                }
            }
        }

        return new ResourceReport(type, state, hourlyCost, replicas, requests, details.Count == 0 ? null : details.ToJsonString());
    }

    /// <summary>
    /// A request quantity: a number, or a Kubernetes quantity string — "500m" is 0.5; byte suffixes
    /// (Ki, Mi, Gi, Ti, k, M, G, T) are converted to GiB, so memory is priced per GiB-hour.
    /// </summary>
    public static bool TryParseQuantity(JsonElement value, out decimal quantity)
    {
        quantity = 0;
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetDecimal(out quantity) && quantity >= 0;
        }

        if (value.ValueKind != JsonValueKind.String || Quantity().Match(value.GetString()!) is not { Success: true } match)
        {
            return false;
        }

        var number = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        const decimal gib = 1024m * 1024m * 1024m;
        quantity = match.Groups[2].Value switch
        {
            "" => number,
            "m" => number / 1000m,
            "Ki" => number * 1024m / gib,
            "Mi" => number * 1024m * 1024m / gib,
            "Gi" => number,
            "Ti" => number * 1024m,
            "k" => number * 1_000m / gib,
            "M" => number * 1_000_000m / gib,
            "G" => number * 1_000_000_000m / gib,
            "T" => number * 1_000_000_000_000m / gib,
            _ => throw new InvalidOperationException("unreachable"),
        };
        return true;
    }

    private static int? Replicas(JsonElement e, Action<string, string> fail)
    {
        if (!e.TryGetProperty("replicas", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            fail("replicas", "Required for a deployment: its current replica count.");
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var replicas) || replicas is < 0 or > MaxReplicas)
        {
            fail("replicas", $"Must be a whole number from 0 to {MaxReplicas}.");
            return null;
        }

        return replicas;
    }

    private static Dictionary<string, decimal>? Requests(JsonElement e, Action<string, string> fail)
    {
        if (!e.TryGetProperty("resources", out var resources) || resources.ValueKind != JsonValueKind.Object
            || !resources.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Object)
        {
            fail("resources.requests", "Required for a deployment: an object of request name → quantity, e.g. {\"cpu\":\"500m\",\"memory\":\"2Gi\"}.");
            return null;
        }

        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var request in requests.EnumerateObject())
        {
            if (!UsageEventParser.IsValidKey(SkuOfRequest(request.Name)))
            {
                fail($"resources.requests.{request.Name}", "Request names are keys such as cpu, memory or nvidia.com/gpu.");
            }
            else if (!TryParseQuantity(request.Value, out var quantity))
            {
                fail($"resources.requests.{request.Name}", "Must be a number ≥ 0 or a quantity such as \"500m\", \"2Gi\" or \"512Mi\".");
            }
            else
            {
                result[request.Name] = quantity;
            }
        }

        if (!requests.EnumerateObject().Any())
        {
            fail("resources.requests", "Give at least one request.");
        }

        return result;
    }

    private static JsonNode? Specs(JsonElement e, Action<string, string> fail)
    {
        if (!e.TryGetProperty("specs", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object
            || value.EnumerateObject().Any(p => p.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)))
        {
            fail("specs", "Must be an object of strings or numbers, e.g. {\"vcpus\":4,\"memoryGiB\":16,\"machineType\":\"n2-standard-4\"}.");
            return null;
        }

        return JsonNode.Parse(value.GetRawText());
    }
}
