using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CostGrains.IntegrationTests;

/// <summary>Projects created, renamed and archived by org admins; history and totals never move.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ProjectManagementTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Rename_and_archive_change_the_profile_but_never_the_totals()
    {
        await using var server = await InProcessServer.StartAsync(await postgres.Server.CreateDatabaseAsync("projects"));
        using var admin = server.Client(await server.CreateOrgAsync("acme", "admin"));
        using var member = server.Client(await server.CreateKeyAsync("acme", "member"));

        var created = await admin.PostAsJsonAsync("v1/projects", new { key = "web", name = "Web shop" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var listed = Assert.Single((await member.GetFromJsonAsync<JsonElement>("v1/projects")).EnumerateArray());
        Assert.Equal("Web shop", listed.GetProperty("name").GetString());
        Assert.Equal(0m, listed.GetProperty("spent").GetProperty("total").GetDecimal());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("v1/projects", new { key = "web" })).StatusCode);

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("v1/events",
            new[] { new { id = "r1", time = "2026-05-01T00:00:00Z", project = "web", amount = 4m, category = "compute" } })).StatusCode);
        await Poll.Until(() => member.GetFromJsonAsync<JsonElement>("v1/projects/web"),
            p => p.GetProperty("eventCount").GetInt64() == 1, TimeSpan.FromSeconds(10), "the first event");

        var renamed = await admin.PatchAsJsonAsync("v1/projects/web", new { name = "Storefront" });
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        var archived = await (await admin.PatchAsJsonAsync("v1/projects/web", new { archived = true })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Storefront", archived.GetProperty("name").GetString());
        Assert.True(archived.GetProperty("archived").GetBoolean());
        Assert.Equal(4m, archived.GetProperty("spent").GetProperty("total").GetDecimal());

        // Usage is never refused: an archived project still counts what it is sent.
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsJsonAsync("v1/events",
            new[] { new { id = "r2", time = "2026-05-02T00:00:00Z", project = "web", amount = 1m, category = "storage" } })).StatusCode);
        var after = await Poll.Until(() => member.GetFromJsonAsync<JsonElement>("v1/projects/web"),
            p => p.GetProperty("eventCount").GetInt64() == 2, TimeSpan.FromSeconds(10), "the second event");
        Assert.Equal(5m, after.GetProperty("spent").GetProperty("total").GetDecimal());
        Assert.Equal("Storefront", after.GetProperty("name").GetString());
        await server.WaitConsistentAsync("acme", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Members_read_projects_but_may_not_manage_them()
    {
        await using var server = await InProcessServer.StartAsync(connectionString: null);
        using var admin = server.Client(await server.CreateOrgAsync("acme", "admin"));
        using var member = server.Client(await server.CreateKeyAsync("acme", "member"));
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("v1/projects", new { key = "web" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsJsonAsync("v1/projects", new { key = "other" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PatchAsJsonAsync("v1/projects/web", new { archived = true })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("v1/projects/web")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PatchAsJsonAsync("v1/projects/nope", new { name = "x" })).StatusCode);
        var bad = await admin.PostAsJsonAsync("v1/projects", new { key = "a/b" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("key", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("field").GetString());
        var badName = await admin.PatchAsJsonAsync("v1/projects/web", new { name = " " });
        Assert.Equal("name", (await badName.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors")[0].GetProperty("field").GetString());
    }
}
