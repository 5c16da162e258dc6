using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostGrains.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace CostGrains.IntegrationTests;

/// <summary>Budget alerts delivered to a local receiver: signed, retried with backoff, logged.</summary>
[Collection(PostgresCollection.Name)]
public sealed class WebhookTests(PostgresFixture postgres)
{
    private sealed record Received(string Signature, string AlertId, string Body);

    [Fact]
    public async Task Alerts_are_signed_retried_with_backoff_and_delivered_once_each()
    {
        // The receiver refuses the first two requests, then accepts.
        var received = new ConcurrentQueue<Received>();
        var calls = 0;
        var receiverPort = PostgresServer.FreePort();
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            if (Interlocked.Increment(ref calls) <= 2)
            {
                return Results.StatusCode(500);
            }

            received.Enqueue(new Received(request.Headers[WebhookGrain.SignatureHeader].ToString(), request.Headers[WebhookGrain.AlertIdHeader].ToString(), body));
            return Results.Ok();
        });
        await receiver.StartAsync();

        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("webhooks"),
            new Dictionary<string, string?> { ["CostGrains:Webhooks:InitialBackoff"] = "00:00:00.100" });
        var admin = await server.CreateOrgAsync("acme", "admin");
        using var client = server.Client(admin);
        var created = await client.PostAsJsonAsync("v1/webhooks", new { url = $"http://127.0.0.1:{receiverPort}/hook" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.Null((await client.GetFromJsonAsync<JsonElement>("v1/webhooks"))[0].GetProperty("secret").GetString());

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("v1/projects/w/budget", new { limit = 10m, thresholds = new[] { 50m, 100m } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("v1/events",
            new[] { new { id = "w1", time = DateTimeOffset.UtcNow, project = "w", amount = 12m } })).StatusCode);

        await Poll.Until(() => Task.FromResult(received.Count), n => n >= 2, TimeSpan.FromSeconds(30), "both alerts delivered");
        var deliveries = received.ToList();
        Assert.Equal(2, deliveries.Select(d => d.AlertId).Distinct().Count());
        foreach (var delivery in deliveries)
        {
            // CostGrains-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>
            var t = long.Parse(delivery.Signature.Split(',')[0]["t=".Length..]);
            Assert.Equal(WebhookGrain.Sign(secret, t, delivery.Body), delivery.Signature);
            Assert.InRange(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - t, 0, 60);
            var payload = JsonDocument.Parse(delivery.Body).RootElement;
            Assert.Equal("budget.crossed", payload.GetProperty("type").GetString());
            Assert.Equal(delivery.AlertId, payload.GetProperty("alert").GetProperty("id").GetString());
            Assert.Equal(12m, payload.GetProperty("alert").GetProperty("used").GetDecimal());
        }

        var log = await Poll.Until(() => client.GetFromJsonAsync<JsonElement>("v1/webhooks/deliveries"),
            l => l.EnumerateArray().Count(a => a.GetProperty("delivered").GetBoolean()) == 2, TimeSpan.FromSeconds(10), "the delivery log");
        var attempts = log.EnumerateArray().ToList();
        Assert.Equal(2, attempts.Count(a => a.GetProperty("status").GetInt32() == 500));
        Assert.Contains(attempts, a => a.GetProperty("attempt").GetInt32() >= 2 && a.GetProperty("delivered").GetBoolean());
    }

    [Theory]
    [InlineData("""{"url":"ftp://x"}""", "url")]
    [InlineData("""{"url":"http://127.0.0.1:1/h","secret":"short"}""", "secret")]
    public async Task Invalid_webhook_is_refused_naming_the_field(string body, string field)
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        using var client = server.Client(await server.CreateOrgAsync("acme", "admin"));
        var response = await client.PostAsync("v1/webhooks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("field").GetString());
    }
}
