using CostGrains.Ingest;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace CostGrains.Server;

/// <summary>problem+json answers (RFC 9457) for every error the API gives.</summary>
public static class Problems
{
    /// <summary>At most this many per-event errors are listed; <c>errorCount</c> has the total.</summary>
    public const int MaxListedErrors = 100;

    public static Task Write(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(
            new ProblemDetails { Status = status, Title = title, Detail = detail },
            options: null, contentType: "application/problem+json");
    }

    public static ProblemHttpResult Status(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    public static ProblemHttpResult BadRequest(string detail) =>
        Status(StatusCodes.Status400BadRequest, "Bad request", detail);

    /// <summary>One field is wrong (outside a batch of events).</summary>
    public static ProblemHttpResult Field(string field, string message) =>
        Status(StatusCodes.Status400BadRequest, "Invalid request", $"{field}: {message}",
            new Dictionary<string, object?> { ["errors"] = new[] { new { field, message } } });

    /// <summary>A field that must hold a key (of a project, SKU, account …).</summary>
    public static ProblemHttpResult Key(string field) =>
        Field(field, $"Required: 1 to {UsageEventParser.MaxKeyLength} letters, digits or . _ : @ - (starting with a letter or digit).");

    /// <summary>A field that must name an IANA time zone.</summary>
    public static ProblemHttpResult TimeZone(string field, string id) =>
        Field(field, $"'{id}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC).");

    /// <summary>A batch was refused: every problem with the event's index and the field.</summary>
    public static ProblemHttpResult Events(IReadOnlyList<IngestError> errors) =>
        Status(StatusCodes.Status400BadRequest, "Invalid events",
            $"{errors.Count} problem(s) in the batch; nothing was stored. First: event {errors[0].Index}, '{errors[0].Field}': {errors[0].Message}",
            new Dictionary<string, object?>
            {
                ["errorCount"] = errors.Count,
                ["errors"] = errors.Take(MaxListedErrors).Select(e => new { index = e.Index, field = e.Field, message = e.Message }),
            });

    public static ProblemHttpResult NotFound(string what) => Status(StatusCodes.Status404NotFound, "Not found", what);

    public static ProblemHttpResult Conflict(string what) => Status(StatusCodes.Status409Conflict, "Conflict", what);

    public static ProblemHttpResult TooLarge(string what) => Status(StatusCodes.Status413PayloadTooLarge, "Payload too large", what);

    public static ProblemHttpResult UnsupportedMediaType(string what) =>
        Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", what);
}
