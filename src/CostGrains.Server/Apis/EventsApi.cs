using System.Net.Http.Headers;
using System.Text.Json;
using CostGrains.Ingest;
using CostGrains.Ledger;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace CostGrains.Server.Apis;

public sealed record IngestResponse(int Accepted, int Duplicates);

/// <summary>
/// <c>POST /v1/events</c>: parse, validate and rate the whole batch, then append it to the ledger
/// in one transaction and answer 202 only after the commit. Any invalid event refuses the batch.
/// </summary>
public static class EventsApi
{
    public const int MaxEvents = 10_000;
    public const int MaxBytes = 10 * 1024 * 1024;

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 32 };

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", Ingest)
            .RequireAuthorization(Principals.CanIngest)
            .WithTags("Ingest")
            .WithSummary("Send a batch of usage events (JSON array or NDJSON).")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The handler reads the body itself (both media types, size limits), so describe it here.
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = $"Up to {MaxEvents:N0} events and {MaxBytes:N0} bytes: a JSON array, or one JSON event per line.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new(),
                        ["application/x-ndjson"] = new(),
                    },
                };
                return Task.CompletedTask;
            })
            .Produces<IngestResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ProblemHttpResult>> Ingest(
        HttpContext context, IGrainFactory grains, ILedger ledger, CancellationToken cancellationToken)
    {
        var org = context.Org();

        var mediaType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var parsed) ? parsed.MediaType : null;
        var ndjson = mediaType is "application/x-ndjson" or "application/jsonl" or "application/ndjson";
        if (!ndjson && mediaType != "application/json")
        {
            return Problems.UnsupportedMediaType("Send 'application/json' (an array of events) or 'application/x-ndjson' (one event per line).");
        }

        if (context.Request.ContentLength > MaxBytes)
        {
            return Problems.TooLarge($"A request carries at most {MaxBytes:N0} bytes.");
        }

        var body = await ReadBody(context.Request, cancellationToken);
        if (body is null)
        {
            return Problems.TooLarge($"A request carries at most {MaxBytes:N0} bytes.");
        }

        if (context.User.IsPlatformAdmin() && await grains.GetGrain<IOrganizationGrain>(org).GetInfo() is null)
        {
            return Problems.NotFound($"Organization '{org}' does not exist.");
        }

        var errors = new List<IngestError>();
        var events = new List<ParsedUsageEvent>();
        var count = ndjson ? ParseNdjson(body, events, errors) : ParseArray(body, events, errors);
        if (count is null)
        {
            return Problems.BadRequest(errors.Count > 0 ? errors[0].Message : "The body is not valid JSON.");
        }

        if (count > MaxEvents)
        {
            return Problems.TooLarge($"A request carries at most {MaxEvents:N0} events; this one has {count:N0}.");
        }

        if (count == 0)
        {
            return Problems.BadRequest("The batch is empty.");
        }

        if (errors.Count > 0)
        {
            return Problems.Events(errors);
        }

        var organization = grains.GetGrain<IOrganizationGrain>(org);
        var catalog = await organization.GetCatalog();
        var proposals = UsageRater.ProposeAllocationUnits(events, catalog, errors);
        var provisional = proposals.Count == 0 ? catalog : catalog with { AllocationUnits = Merge(catalog.AllocationUnits, proposals) };
        var rated = UsageRater.Rate(org, events, provisional, ledger.Partitions, errors);
        if (errors.Count == 0 && proposals.Count > 0)
        {
            // Fix the units of new allocations only once the batch is known to be valid; if another
            // batch fixed one first, rate again against what was fixed.
            var claimed = await organization.ClaimAllocationUnits(proposals);
            if (proposals.Any(p => claimed.AllocationUnits[p.Key] != p.Value))
            {
                rated = UsageRater.Rate(org, events, claimed, ledger.Partitions, errors);
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Events(errors.OrderBy(e => e.Index).ToList());
        }

        var result = await ledger.AppendAsync(rated, cancellationToken);
        return TypedResults.Accepted((string?)null, new IngestResponse(result.Accepted, result.Duplicates));
    }

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> a, Dictionary<string, string> b)
    {
        var merged = new Dictionary<string, string>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b)
        {
            merged.TryAdd(k, v);
        }

        return merged;
    }

    /// <summary>The body, or null when it is larger than <see cref="MaxBytes"/>.</summary>
    private static async Task<byte[]?> ReadBody(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 64 * 1024);
        var chunk = new byte[64 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>Parses a JSON array of events; returns the count, or null when the body is not a JSON array.</summary>
    private static int? ParseArray(byte[] body, List<ParsedUsageEvent> events, List<IngestError> errors)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, JsonOptions);
        }
        catch (JsonException ex)
        {
            errors.Add(new IngestError(-1, "(body)", $"The body is not valid JSON: {ex.Message}"));
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                errors.Add(new IngestError(-1, "(body)", "The body must be a JSON array of events (or send application/x-ndjson)."));
                return null;
            }

            var count = document.RootElement.GetArrayLength();
            if (count > MaxEvents)
            {
                return count;
            }

            var index = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (UsageEventParser.Parse(index++, element, errors) is { } e)
                {
                    events.Add(e);
                }
            }

            return count;
        }
    }

    /// <summary>Parses one event per line; a line that is not JSON is reported at its index.</summary>
    private static int? ParseNdjson(byte[] body, List<ParsedUsageEvent> events, List<IngestError> errors)
    {
        var index = 0;
        var span = body.AsMemory();
        while (span.Length > 0)
        {
            var newline = span.Span.IndexOf((byte)'\n');
            var line = newline < 0 ? span : span[..newline];
            span = newline < 0 ? Memory<byte>.Empty : span[(newline + 1)..];
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            if (index >= MaxEvents)
            {
                return index + 1;
            }

            try
            {
                using var document = JsonDocument.Parse(line, JsonOptions);
                if (UsageEventParser.Parse(index, document.RootElement, errors) is { } e)
                {
                    events.Add(e);
                }
            }
            catch (JsonException ex)
            {
                errors.Add(new IngestError(index, "(json)", $"Line is not valid JSON: {ex.Message}"));
            }

            index++;
        }

        return index;
    }
}
