using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CostGrains.Ingest;

/// <summary>A usage event as the agent sent it, with every field checked for shape.</summary>
public sealed record ParsedUsageEvent(
    int Index,
    string Id,
    DateTimeOffset Time,
    DateTimeOffset? End,
    TargetKind Kind,
    string Target,
    string? Sku,
    decimal? Quantity,
    decimal? Amount,
    string? Category,
    string? Resource,
    string? DimensionsJson,
    ResourceReport? Report = null);

/// <summary>
/// The resource part of an event whose <c>type</c> is not <c>usage</c>: its state, what prices it
/// (<see cref="HourlyCost"/>, or the event's SKU × quantity; for a deployment its
/// <see cref="Requests"/> × <see cref="Replicas"/>) and the details shown in the drill-down.
/// </summary>
public sealed record ResourceReport(
    EventType Type,
    string State,
    decimal? HourlyCost,
    int? Replicas,
    IReadOnlyDictionary<string, decimal>? Requests,
    string? DetailsJson);

/// <summary>
/// Checks the shape of each event of a batch (types, required fields, ranges) and reports every
/// problem with the event's index and the field's name. Knows nothing of prices or storage.
/// </summary>
public static partial class UsageEventParser
{
    public const int MaxIdLength = 256;
    public const int MaxKeyLength = 200;

    private static readonly (string Field, TargetKind Kind)[] TargetFields =
    [
        ("project", TargetKind.Project),
        ("allocation", TargetKind.Allocation),
        ("workspace", TargetKind.Workspace),
    ];

    /// <summary>Keys of organizations, projects, allocations, workspaces and SKUs.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@-]*$", RegexOptions.CultureInvariant)]
    public static partial Regex KeyPattern();

    // RFC 3339 requires an explicit offset: "Z" or "+hh:mm".
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();

    public static bool IsValidKey(string? key) => key is { Length: > 0 and <= MaxKeyLength } && KeyPattern().IsMatch(key);

    public static bool TryParseTime(string? text, out DateTimeOffset time) => TryParseTime(text, null, out time);

    /// <summary>
    /// Checks the RFC 3339 shape once, then parses: from the JSON value's UTF-8 bytes with
    /// System.Text.Json's ISO 8601 reader when there is one, else (or for what that reader does not
    /// take, such as more than seven fraction digits) with the general parser.
    /// </summary>
    private static bool TryParseTime(string? text, JsonElement? utf8, out DateTimeOffset time)
    {
        time = default;
        return text is not null
            && Rfc3339().IsMatch(text)
            && ((utf8 is { } value && value.TryGetDateTimeOffset(out time))
                || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time));
    }

    /// <summary>Parses one event; adds any problems to <paramref name="errors"/> and returns null then.</summary>
    public static ParsedUsageEvent? Parse(int index, JsonElement e, List<IngestError> errors)
    {
        var before = errors.Count;
        void Fail(string field, string message) => errors.Add(new IngestError(index, field, message));

        if (e.ValueKind != JsonValueKind.Object)
        {
            Fail("(event)", $"Each event must be a JSON object, not {e.ValueKind.ToString().ToLowerInvariant()}.");
            return null;
        }

        var id = String(e, "id", Fail, required: true);
        if (id is not null && id.Length > MaxIdLength)
        {
            Fail("id", $"Must be 1 to {MaxIdLength} characters.");
        }

        var time = Time(e, "time", Fail, required: true);
        var end = Time(e, "end", Fail, required: false);
        if (time is not null && end is not null && end < time)
        {
            Fail("end", "Must not be before 'time'.");
        }

        TargetKind? kind = null;
        string? target = null;
        var targetsGiven = 0;
        foreach (var (field, k) in TargetFields)
        {
            if (!e.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            targetsGiven++;
            if (value.ValueKind != JsonValueKind.String || !IsValidKey(value.GetString()))
            {
                Fail(field, $"Must be a key of 1 to {MaxKeyLength} letters, digits or . _ : @ - (starting with a letter or digit).");
                continue;
            }

            kind = k;
            target = value.GetString();
        }

        if (targetsGiven == 0)
        {
            Fail("project", "Exactly one target is required: 'project', 'allocation' or 'workspace'.");
        }
        else if (targetsGiven > 1)
        {
            Fail("project", "Exactly one target is allowed: give only one of 'project', 'allocation' or 'workspace'.");
        }

        var type = EventType.Usage;
        if (String(e, "type", Fail, required: false) is { } typeText && !EventTypes.TryParse(typeText, out type))
        {
            Fail("type", "Must be one of usage, instance, bucket, deployment.");
        }

        var sku = String(e, "sku", Fail, required: false);
        var quantity = Number(e, "quantity", Fail);
        var amount = Number(e, "amount", Fail);
        if (quantity < 0)
        {
            Fail("quantity", "Must be zero or more.");
        }

        var resource = String(e, "resource", Fail, required: false);
        if (resource is not null && resource.Length > 256)
        {
            Fail("resource", "Must be at most 256 characters.");
        }

        var dimensions = Dimensions(e, Fail);
        if (type != EventType.Usage)
        {
            var report = ResourceReports.Parse(e, type, kind, sku, amount, resource, Fail);
            return errors.Count > before
                ? null
                : new ParsedUsageEvent(index, id!, time!.Value, end, kind!.Value, target!, sku, quantity, null, null, resource, dimensions, report);
        }

        if (sku is null && amount is null && !HasInvalid(errors, before, "sku", "amount"))
        {
            Fail("sku", "Required unless 'amount' is given.");
        }

        if (sku is not null && quantity is null && amount is null && !HasInvalid(errors, before, "quantity"))
        {
            Fail("quantity", "Required with 'sku'.");
        }

        var category = String(e, "category", Fail, required: false);
        if (category is not null && (category.Length > 64 || !KeyPattern().IsMatch(category)))
        {
            Fail("category", "Must be a key of 1 to 64 letters, digits or . _ : @ -.");
        }

        if (errors.Count > before)
        {
            return null;
        }

        return new ParsedUsageEvent(index, id!, time!.Value, end, kind!.Value, target!, sku, quantity, amount, category, resource, dimensions);
    }

    private static bool HasInvalid(List<IngestError> errors, int from, params string[] fields)
    {
        for (var i = from; i < errors.Count; i++)
        {
            if (fields.Contains(errors[i].Field))
            {
                return true;
            }
        }

        return false;
    }

    internal static string? String(JsonElement e, string field, Action<string, string> fail, bool required) =>
        String(e, field, fail, required, out _);

    private static string? String(JsonElement e, string field, Action<string, string> fail, bool required, out JsonElement value)
    {
        if (!e.TryGetProperty(field, out value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                fail(field, "Required.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } text)
        {
            fail(field, "Must be a non-empty string.");
            return null;
        }

        return text;
    }

    private static DateTimeOffset? Time(JsonElement e, string field, Action<string, string> fail, bool required)
    {
        var text = String(e, field, fail, required, out var value);
        if (text is null)
        {
            return null;
        }

        if (!TryParseTime(text, value, out var time))
        {
            fail(field, "Must be an RFC 3339 time with an offset, e.g. 2026-11-23T10:00:00Z.");
            return null;
        }

        return time;
    }

    internal static decimal? Number(JsonElement e, string field, Action<string, string> fail)
    {
        if (!e.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var number))
        {
            fail(field, "Must be a number.");
            return null;
        }

        return number;
    }

    private static string? Dimensions(JsonElement e, Action<string, string> fail)
    {
        if (!e.TryGetProperty("dimensions", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            fail("dimensions", "Must be an object of strings or numbers.");
            return null;
        }

        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                fail($"dimensions.{property.Name}", "Must be a string or a number.");
                return null;
            }
        }

        return value.GetRawText();
    }
}
