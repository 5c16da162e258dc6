using System.Security.Cryptography;
using CostGrains.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record CreateWebhookRequest(string? Url, string? Secret);

public sealed record WebhookResponse(string Id, string Url, string? Secret, DateTimeOffset CreatedAt);

public sealed record WebhookAttemptResponse(string EndpointId, string AlertId, int Attempt, int? Status, string? Error, DateTimeOffset At, bool Delivered);

/// <summary>Outgoing webhooks per organization: budget alerts, signed with HMAC-SHA256.</summary>
public static class WebhooksApi
{
    public static IEndpointRouteBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var hooks = app.MapGroup("/v1/webhooks").WithTags("Webhooks").RequireAuthorization(Principals.CanAdmin);
        hooks.MapPost("/", Create);
        hooks.MapGet("/", List);
        hooks.MapDelete("/{id}", Delete);
        hooks.MapGet("/deliveries", Deliveries);
        return app;
    }

    private static async Task<Results<Created<WebhookResponse>, ProblemHttpResult>> Create(
        CreateWebhookRequest request, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return Problems.Field("url", "Required: an absolute http(s) address.");
        }

        if (request.Secret is { Length: < 16 or > 256 })
        {
            return Problems.Field("secret", "16 to 256 characters, or leave it out to have one generated.");
        }

        var secret = request.Secret ?? "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var endpoint = await grains.GetGrain<IWebhookGrain>(org).Add(url, secret);
        // The secret is shown once, here; listings do not repeat it.
        return TypedResults.Created($"/v1/webhooks/{endpoint.Id}", new WebhookResponse(endpoint.Id, endpoint.Url.ToString(), secret, endpoint.CreatedAt));
    }

    private static async Task<Results<Ok<IEnumerable<WebhookResponse>>, ProblemHttpResult>> List(HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        var endpoints = await grains.GetGrain<IWebhookGrain>(org).List();
        return TypedResults.Ok(endpoints.Select(e => new WebhookResponse(e.Id, e.Url.ToString(), null, e.CreatedAt)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        return await grains.GetGrain<IWebhookGrain>(org).Remove(id)
            ? TypedResults.NoContent()
            : Problems.NotFound($"Webhook '{id}' does not exist.");
    }

    private static async Task<Results<Ok<IEnumerable<WebhookAttemptResponse>>, ProblemHttpResult>> Deliveries(
        HttpContext context, IGrainFactory grains, int? limit)
    {
        var org = context.Org();

        var log = await grains.GetGrain<IWebhookGrain>(org).Log(Math.Clamp(limit ?? 100, 1, 500));
        return TypedResults.Ok(log.Select(a => new WebhookAttemptResponse(a.EndpointId, a.AlertId, a.Attempt, a.Status, a.Error, a.At, a.Delivered)));
    }
}
