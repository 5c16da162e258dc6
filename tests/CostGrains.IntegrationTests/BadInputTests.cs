using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace CostGrains.IntegrationTests;

/// <summary>Every refused request names what is wrong, answers problem+json, and stores nothing.</summary>
[Collection(PostgresCollection.Name)]
public sealed class BadInputTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Valid = """{"id":"ok","time":"2026-05-01T00:00:00Z","project":"web","sku":"vm","quantity":1}""";

    private InProcessServer _server = null!;
    private string _connectionString = null!;
    private readonly Dictionary<string, string> _keys = [];

    public async Task InitializeAsync()
    {
        _connectionString = await postgres.Server.CreateDatabaseAsync("badinput");
        _server = await InProcessServer.StartAsync(_connectionString);
        _keys["admin"] = await _server.CreateOrgAsync("acme", "admin");
        _keys["member"] = await _server.CreateKeyAsync("acme", "member");
        _keys["ingest"] = await _server.CreateKeyAsync("acme", "ingest");
        await _server.PutSkuAsync("acme", "vm", "USD", "compute", ("2026-01-01T00:00:00Z", 0.1m));
        await _server.PutSkuAsync("acme", "core-hour", "core-hours", "compute", ("2026-01-01T00:00:00Z", 1m));
        await _server.PutSkuAsync("acme", "gpu-hour", "gpu-hours", "compute", ("2026-01-01T00:00:00Z", 1m));
        await _server.PutSkuAsync("acme", "future", "USD", "compute", ("2027-01-01T00:00:00Z", 1m));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, int?, string?> InvalidEvents() => new()
    {
        { "malformed JSON", "[{\"id\":", null, "(body)" },
        { "not an array", Valid, null, "(body)" },
        { "event is not an object", "[42]", 0, "(event)" },
        { "missing id", """[{"time":"2026-05-01T00:00:00Z","project":"web","amount":1}]""", 0, "id" },
        { "id too long", $$"""[{"id":"{{new string('x', 257)}}","time":"2026-05-01T00:00:00Z","project":"web","amount":1}]""", 0, "id" },
        { "missing time", """[{"id":"a","project":"web","amount":1}]""", 0, "time" },
        { "time without offset", """[{"id":"a","time":"2026-05-01T00:00:00","project":"web","amount":1}]""", 0, "time" },
        { "end before time", """[{"id":"a","time":"2026-05-01T00:00:00Z","end":"2026-04-01T00:00:00Z","project":"web","amount":1}]""", 0, "end" },
        { "no target", """[{"id":"a","time":"2026-05-01T00:00:00Z","amount":1}]""", 0, "project" },
        { "two targets", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","workspace":"w","amount":1}]""", 0, "project" },
        { "target key with a slash", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"a/b","amount":1}]""", 0, "project" },
        { "unknown SKU", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","sku":"nope","quantity":1}]""", 0, "sku" },
        { "SKU without a rate at that time", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","sku":"future","quantity":1}]""", 0, "time" },
        { "negative quantity", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","sku":"vm","quantity":-1}]""", 0, "quantity" },
        { "sku without quantity", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","sku":"vm"}]""", 0, "quantity" },
        { "neither sku nor amount", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web"}]""", 0, "sku" },
        { "amount as a string", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","amount":"1"}]""", 0, "amount" },
        { "nested dimension", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","amount":1,"dimensions":{"x":{}}}]""", 0, "dimensions.x" },
        { "custom unit on a USD project", """[{"id":"a","time":"2026-05-01T00:00:00Z","project":"web","sku":"core-hour","quantity":1}]""", 0, "sku" },
        { "new allocation with two units in one batch",
            """[{"id":"a","time":"2026-05-01T00:00:00Z","allocation":"hpc","sku":"core-hour","quantity":1},{"id":"b","time":"2026-05-01T00:00:00Z","allocation":"hpc","sku":"gpu-hour","quantity":1}]""", 1, "sku" },
        { "empty batch", "[]", null, null },
        { "malformed event at index 4999 of 5000", MalformedAt(4999, 5000), 4999, "time" },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task Invalid_batch_is_refused_with_index_and_field_and_stores_nothing(string name, string body, int? index, string? field)
    {
        var response = await _server.Http.PostAsync("v1/events?org=acme", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {response.StatusCode}");
        var problem = await AssertProblem(response);
        if (field is not null && index is not null)
        {
            var error = problem.GetProperty("errors").EnumerateArray().First();
            Assert.Equal(index, error.GetProperty("index").GetInt32());
            Assert.Equal(field, error.GetProperty("field").GetString());
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        }

        await AssertNothingStored();
    }

    [Fact]
    public async Task Ndjson_line_that_is_not_json_is_refused_at_its_index()
    {
        var body = string.Join('\n', Enumerable.Range(0, 5).Select(i => i == 3 ? "{oops" : Valid.Replace("\"ok\"", $"\"n{i}\"")));
        var response = await _server.Http.PostAsync("v1/events?org=acme", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await AssertProblem(response)).GetProperty("errors").EnumerateArray().Single();
        Assert.Equal(3, error.GetProperty("index").GetInt32());
        Assert.Equal("(json)", error.GetProperty("field").GetString());
        await AssertNothingStored();
    }

    [Fact]
    public async Task More_than_10000_events_is_413()
    {
        var response = await _server.Http.PostAsync("v1/events?org=acme",
            new StringContent(ValidBatch(10_001), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertProblem(response);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Body_over_10_MB_is_413_also_without_content_length()
    {
        var padding = new string(' ', 10 * 1024 * 1024);
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("[" + padding + Valid + "]")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events?org=acme") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await _server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertProblem(response);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Wrong_content_type_is_415()
    {
        var response = await _server.Http.PostAsync("v1/events?org=acme", new StringContent("[" + Valid + "]", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await AssertProblem(response);
        await AssertNothingStored();
    }

    [Theory]
    [InlineData("POST", "v1/events")]
    [InlineData("GET", "v1/projects")]
    [InlineData("GET", "v1/skus")]
    [InlineData("GET", "v1/alerts")]
    [InlineData("GET", "v1/report")]
    [InlineData("GET", "v1/billing-accounts")]
    [InlineData("GET", "v1/webhooks")]
    [InlineData("GET", "v1/reconciliation")]
    public async Task Platform_administrator_must_name_the_organization(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? new StringContent("[" + Valid + "]", Encoding.UTF8, "application/json") : null,
        };
        var response = await _server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AssertProblem(response);
        Assert.Equal("org", problem.GetProperty("errors")[0].GetProperty("field").GetString());
        await AssertNothingStored();
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync(path.StartsWith("v1/events") ? "v1/projects?org=acme" : path + "?org=acme")).StatusCode);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("cg_not-a-key", HttpStatusCode.Unauthorized)]
    [InlineData("member", HttpStatusCode.Forbidden)]
    public async Task Ingest_without_the_right_key_is_refused_and_stores_nothing(string? key, HttpStatusCode expected)
    {
        using var client = _server.Client(key is null ? null : _keys.GetValueOrDefault(key, key));
        var response = await client.PostAsync("v1/events", new StringContent("[" + Valid + "]", Encoding.UTF8, "application/json"));
        Assert.Equal(expected, response.StatusCode);
        await AssertProblem(response);
        await AssertNothingStored();
    }

    [Fact]
    public async Task Roles_decide_what_a_key_may_do()
    {
        // Its own organization: this test stores an event, the others assert that nothing is.
        var adminKey = await _server.CreateOrgAsync("roles", "admin");
        using var ingest = _server.Client(await _server.CreateKeyAsync("roles", "ingest"));
        using var member = _server.Client(await _server.CreateKeyAsync("roles", "member"));
        using var admin = _server.Client(adminKey);
        Assert.Equal(HttpStatusCode.Accepted, (await ingest.PostAsJsonAsync("v1/events", new[] { new { id = "r1", time = "2026-05-01T00:00:00Z", project = "web", amount = 1 } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ingest.GetAsync("v1/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("v1/projects")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PutAsJsonAsync("v1/skus/x", new { unit = "USD", rates = new[] { new { from = "2026-01-01T00:00:00Z", price = 1 } } })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsJsonAsync("v1/orgs/roles/keys", new { role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("v1/orgs", new { key = "other" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("v1/orgs/roles/keys", new { role = "member" })).StatusCode);

        // An organization's key sees nothing of another organization.
        var otherAdmin = await _server.CreateOrgAsync("other", "admin");
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsJsonAsync("v1/orgs/other/keys", new { role = "admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("v1/orgs/other")).StatusCode);
        using var other = _server.Client(otherAdmin);
        var projects = await (await other.GetAsync("v1/projects")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Empty(projects.EnumerateArray());
        Assert.Equal(HttpStatusCode.Conflict, (await _server.Http.PostAsJsonAsync("v1/orgs", new { key = "roles" })).StatusCode);
    }

    [Fact]
    public async Task Keys_are_stored_only_as_hashes()
    {
        var secret = await _server.CreateKeyAsync("acme", "ingest");
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM OrleansStorage WHERE position(convert_to($1, 'UTF8') IN coalesce(PayloadBinary, ''::bytea)) > 0 OR GrainIdExtensionString LIKE '%' || $1 || '%'",
            connection);
        command.Parameters.AddWithValue(secret);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        await using var hashed = new NpgsqlCommand("SELECT count(*) FROM OrleansStorage WHERE GrainIdExtensionString = $1", connection);
        hashed.Parameters.AddWithValue(Server.Auth.ApiKeys.Hash(secret));
        Assert.Equal(1L, (long)(await hashed.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData("""{"category":"compute","rates":[{"from":"2026-01-01T00:00:00Z","price":1}]}""", "unit")]
    [InlineData("""{"unit":"USD","rates":[]}""", "rates")]
    [InlineData("""{"unit":"USD","rates":[{"from":"2026-01-01","price":1}]}""", "rates[0].from")]
    [InlineData("""{"unit":"USD","rates":[{"from":"2026-01-01T00:00:00Z","price":-1}]}""", "rates[0].price")]
    public async Task Invalid_sku_is_refused_naming_the_field(string body, string field)
    {
        var response = await _server.Http.PutAsync("v1/skus/bad?org=acme", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await AssertProblem(response);
        Assert.Equal(field, problem.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync("v1/skus/bad?org=acme")).StatusCode);
    }

    private static string ValidBatch(int count) =>
        "[" + string.Join(',', Enumerable.Range(0, count).Select(i => Valid.Replace("\"ok\"", $"\"v{i}\""))) + "]";

    private static string MalformedAt(int index, int count) =>
        "[" + string.Join(',', Enumerable.Range(0, count).Select(i =>
            i == index ? """{"id":"bad","time":"yesterday","project":"web","amount":1}""" : Valid.Replace("\"ok\"", $"\"m{i}\""))) + "]";

    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)response.StatusCode, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    private async Task AssertNothingStored()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM cg_event WHERE org = 'acme') + (SELECT count(*) FROM cg_target WHERE org = 'acme')", connection);
        var stored = (long)(await command.ExecuteScalarAsync())!;
        Assert.Equal(0L, stored);
    }
}
