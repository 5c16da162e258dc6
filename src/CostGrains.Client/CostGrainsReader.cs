using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace CostGrains.Client;

/// <summary>A project's billed usage in one month, per resource and category.</summary>
public sealed record ProjectUsage(
    string Project, string Month, DateOnly From, DateOnly To, string TimeZone, decimal Total,
    IReadOnlyDictionary<string, decimal> ByCategory, IReadOnlyList<ResourceUsageLine> Resources);

public sealed record ResourceUsageLine(string Project, string Resource, string Category, decimal Amount);

/// <summary>Which report to fetch: a preset or a from/to range of days, optionally one billing account and some projects.</summary>
public sealed record ReportRequest(
    string? Preset = null, DateOnly? From = null, DateOnly? To = null, string? Account = null,
    IReadOnlyList<string>? Projects = null, string? TimeZone = null);

/// <summary>The server refused a read (4xx/5xx); <see cref="Problem"/> is its problem+json body.</summary>
public sealed class CostGrainsRequestException(int status, string problem) : Exception($"CostGrains answered {status}: {problem}")
{
    public int Status { get; } = status;

    public string Problem { get; } = problem;
}

/// <summary>Reads spend from a CostGrains node: project usage and reports (JSON or CSV).</summary>
public sealed class CostGrainsReader(Uri baseAddress, string key, string? org = null, HttpClient? http = null) : IDisposable
{
    private readonly HttpClient _http = http ?? new HttpClient();
    private readonly bool _ownsHttp = http is null;

    public async Task<ProjectUsage> GetProjectUsageAsync(string project, string? month = null, string? timeZone = null, CancellationToken cancellationToken = default)
    {
        var body = await GetAsync($"v1/projects/{Uri.EscapeDataString(project)}/usage", [("month", month), ("tz", timeZone)], "application/json", cancellationToken);
        return System.Text.Json.JsonSerializer.Deserialize(body, ClientJson.Default.ProjectUsage)!;
    }

    /// <summary>The report as the server renders it: <paramref name="format"/> json or csv.</summary>
    public Task<string> GetReportAsync(ReportRequest request, string format, CancellationToken cancellationToken = default)
    {
        var path = request.Account is null ? "v1/report" : $"v1/billing-accounts/{Uri.EscapeDataString(request.Account)}/report";
        return GetAsync(path,
        [
            ("preset", request.Preset),
            ("from", request.From?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            ("to", request.To?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            ("projects", request.Projects is { Count: > 0 } p ? string.Join(',', p) : null),
            ("tz", request.TimeZone),
            ("format", format),
        ], format == "csv" ? "text/csv" : "application/json", cancellationToken);
    }

    private async Task<string> GetAsync(string path, (string Name, string? Value)[] query, string accept, CancellationToken cancellationToken)
    {
        var parameters = query.Append((Name: "org", Value: org)).Where(q => q.Value is not null).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value!)}").ToList();
        var uri = new Uri(baseAddress, path + (parameters.Count > 0 ? "?" + string.Join('&', parameters) : ""));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode ? body : throw new CostGrainsRequestException((int)response.StatusCode, body);
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
