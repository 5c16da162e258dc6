using System.Globalization;
using CostGrains.Aggregates;
using CostGrains.Ingest;
using CostGrains.Ledger;
using CostGrains.Reports;
using CostGrains.Server.Auth;
using CostGrains.Server.Reports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostGrains.Server.Apis;

public sealed record PutBillingAccountRequest(string? Name, IReadOnlyList<string>? Projects, string? TimeZone);

public sealed record IssueInvoiceRequest(string? Period);

public sealed record ProjectSeriesResponse(string Project, string Name, decimal Total, IReadOnlyDictionary<string, decimal> ByCategory, IReadOnlyList<decimal> Daily);

public sealed record ReportResponse(
    string? Account,
    DateOnly From,
    DateOnly To,
    string TimeZone,
    IReadOnlyList<DateOnly> Days,
    IReadOnlyList<ProjectSeriesResponse> Projects,
    decimal Total,
    IReadOnlyDictionary<string, decimal> ByCategory,
    string Month,
    IReadOnlyList<ResourceUsage> MonthToDate)
{
    public static ReportResponse Create(string? account, SpendReport r, string month) => new(
        account, r.From, r.To, r.TimeZone, r.Days,
        r.Projects.Select(p => new ProjectSeriesResponse(p.Project, p.Name, p.Total, p.ByCategory, p.Daily)).ToList(),
        r.Total, r.ByCategory, month, r.MonthToDate);
}

/// <summary>
/// Billing accounts (groups of projects), spend reports over a date range with CSV export, and
/// invoices for closed months — JSON and PDF, immutable once issued.
/// </summary>
public static class BillingApi
{
    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("Billing");
        group.MapPut("/billing-accounts/{key}", PutAccount).RequireAuthorization(Principals.CanAdmin)
            .Produces<BillingAccount>(StatusCodes.Status201Created).Produces<BillingAccount>().ProducesProblem(400).ProducesProblem(409);
        group.MapGet("/billing-accounts", ListAccounts).RequireAuthorization(Principals.CanRead).Produces<IReadOnlyList<BillingAccount>>();
        group.MapGet("/billing-accounts/{key}", GetAccount).RequireAuthorization(Principals.CanRead).Produces<BillingAccount>().ProducesProblem(404);
        group.MapGet("/billing-accounts/{key}/report", AccountReport).RequireAuthorization(Principals.CanRead)
            .Produces<ReportResponse>().Produces<string>(200, ReportCsv.ContentType).ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/report", OrganizationReport).RequireAuthorization(Principals.CanRead)
            .Produces<ReportResponse>().Produces<string>(200, ReportCsv.ContentType).ProducesProblem(400).ProducesProblem(404);
        group.MapPost("/billing-accounts/{key}/invoices", IssueInvoice).RequireAuthorization(Principals.CanAdmin)
            .Produces<Invoice>(StatusCodes.Status201Created).Produces<Invoice>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("/billing-accounts/{key}/invoices", ListInvoices).RequireAuthorization(Principals.CanRead).Produces<IReadOnlyList<Invoice>>().ProducesProblem(404);
        group.MapGet("/billing-accounts/{key}/invoices/{number}", GetInvoice).RequireAuthorization(Principals.CanRead).Produces<Invoice>().ProducesProblem(404);
        group.MapGet("/billing-accounts/{key}/invoices/{number}/pdf", GetInvoicePdf).RequireAuthorization(Principals.CanRead)
            .Produces(200, contentType: InvoicePdf.ContentType);
        return app;
    }

    private static async Task<IResult> PutAccount(string key, PutBillingAccountRequest request, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        if (!UsageEventParser.IsValidKey(key))
        {
            return Problems.Key("key");
        }

        if (ProjectsApi.NameProblem(request.Name ?? "") is { } nameProblem)
        {
            return nameProblem;
        }

        var projects = request.Projects ?? [];
        if (projects.FirstOrDefault(p => !UsageEventParser.IsValidKey(p)) is { } bad)
        {
            return Problems.Field("projects", $"'{bad}' is not a project key.");
        }

        var zoneId = request.TimeZone ?? "UTC";
        if (ReportRange.FindZone(zoneId) is null)
        {
            return Problems.TimeZone("timeZone", zoneId);
        }

        var result = await grains.GetGrain<IBillingGrain>(org).PutAccount(key, request.Name!.Trim(), projects, zoneId);
        return result.Change switch
        {
            AccountChange.ProjectTaken => Problems.Conflict(result.Conflict!),
            AccountChange.Created => TypedResults.Created($"/v1/billing-accounts/{key}", result.Account),
            _ => TypedResults.Ok(result.Account),
        };
    }

    private static async Task<IResult> ListAccounts(HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        return TypedResults.Ok(await grains.GetGrain<IBillingGrain>(org).ListAccounts());
    }

    private static async Task<IResult> GetAccount(string key, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        return await grains.GetGrain<IBillingGrain>(org).GetAccount(key) is { } account
            ? TypedResults.Ok(account)
            : Problems.NotFound($"Billing account '{key}' does not exist.");
    }

    /// <summary>
    /// <c>?preset=this-month|previous-month|last-3-months|last-6-months|last-12-months</c> or
    /// <c>?from=YYYY-MM-DD&amp;to=YYYY-MM-DD</c> (days included), <c>projects=a,b</c>, <c>tz=</c> (IANA),
    /// <c>format=csv</c> (or <c>Accept: text/csv</c>).
    /// </summary>
    private static async Task<IResult> AccountReport(string key, HttpContext context, IGrainFactory grains, ILedger ledger, TimeProvider clock, CancellationToken cancellationToken)
    {
        var org = context.Org();

        if (await grains.GetGrain<IBillingGrain>(org).GetAccount(key) is not { } account)
        {
            return Problems.NotFound($"Billing account '{key}' does not exist.");
        }

        return await Report(context, org, account.Key, account.Projects, account.TimeZone, grains, ledger, clock, cancellationToken);
    }

    private static async Task<IResult> OrganizationReport(HttpContext context, IGrainFactory grains, ILedger ledger, TimeProvider clock, CancellationToken cancellationToken)
    {
        var org = context.Org();

        var projects = (await ledger.ListTargetsAsync(org, TargetKind.Project, cancellationToken)).Select(t => t.Target.Key).ToList();
        return await Report(context, org, null, projects, "UTC", grains, ledger, clock, cancellationToken);
    }

    private static async Task<IResult> Report(
        HttpContext context, string org, string? account, IReadOnlyList<string> projects, string defaultZone,
        IGrainFactory grains, ILedger ledger, TimeProvider clock, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var zoneId = query["tz"].ToString() is { Length: > 0 } tz ? tz : defaultZone;
        if (ReportRange.FindZone(zoneId) is not { } zone)
        {
            return Problems.TimeZone("tz", zoneId);
        }

        if (ParseRange(query, zone, clock.GetUtcNow()) is not { } range)
        {
            return RangeProblem(query);
        }

        var selected = projects;
        if (query["projects"].ToString() is { Length: > 0 } subset)
        {
            selected = subset.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            if (selected.FirstOrDefault(p => !projects.Contains(p)) is { } unknown)
            {
                return Problems.Field("projects", account is null
                    ? $"Project '{unknown}' has no usage in this organization."
                    : $"Project '{unknown}' is not in billing account '{account}'.");
            }
        }

        var format = query["format"].ToString();
        if (format.Length > 0 && format is not ("csv" or "json"))
        {
            return Problems.Field("format", "json (the default) or csv.");
        }

        var csv = format == "csv"
            || (format.Length == 0 && context.Request.Headers.Accept.Any(a => a?.Contains(ReportCsv.ContentType, StringComparison.OrdinalIgnoreCase) == true));
        var (report, daily) = await Build(org, selected, range, grains, ledger, clock, monthToDate: !csv, cancellationToken);
        if (csv)
        {
            var name = $"costgrains-{account ?? org}-{range.From:yyyyMMdd}-{range.To:yyyyMMdd}.csv";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
            return TypedResults.Text(ReportCsv.Write(report, daily), ReportCsv.ContentType);
        }

        return TypedResults.Ok(ReportResponse.Create(account, report, MonthOf(zone, clock.GetUtcNow())));
    }

    /// <summary>The report of the projects over the range; with <paramref name="monthToDate"/>, also this month's usage by resource.</summary>
    internal static async Task<(SpendReport Report, IReadOnlyList<DailyCost> Daily)> Build(
        string org, IReadOnlyList<string> projects, ReportRange range, IGrainFactory grains, ILedger ledger, TimeProvider clock,
        bool monthToDate, CancellationToken cancellationToken)
    {
        var zoneId = range.TimeZone.Id;
        var daily = projects.Count == 0 ? [] : await ledger.DailyCostAsync(new CostQuery(org, TargetKind.Project, projects, range.Start, range.End, zoneId), cancellationToken);
        IReadOnlyList<ResourceCost> usage = [];
        if (monthToDate && projects.Count > 0)
        {
            var month = ReportRange.FromPreset("this-month", range.TimeZone, clock.GetUtcNow())!;
            usage = await ledger.ResourceCostAsync(new CostQuery(org, TargetKind.Project, projects, month.Start, month.End, zoneId), cancellationToken);
        }

        var names = await Task.WhenAll(projects.Select(async p =>
            (p, (await AggregateGrains.Get(grains, new TargetRef(TargetKind.Project, org, p)).GetSnapshot()).Name)));
        return (SpendReport.Build(range, names, daily, usage), daily);
    }

    private static string MonthOf(TimeZoneInfo zone, DateTimeOffset now) => ReportRange.Today(zone, now).ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private static ReportRange? ParseRange(IQueryCollection query, TimeZoneInfo zone, DateTimeOffset now)
    {
        var preset = query["preset"].ToString();
        var from = query["from"].ToString();
        var to = query["to"].ToString();
        if (preset.Length > 0)
        {
            return from.Length == 0 && to.Length == 0 ? ReportRange.FromPreset(preset, zone, now) : null;
        }

        if (from.Length == 0 && to.Length == 0)
        {
            return ReportRange.FromPreset("this-month", zone, now);
        }

        if (!TryDate(from, out var fromDay) || !TryDate(to, out var toDay) || toDay < fromDay || toDay.DayNumber - fromDay.DayNumber >= ReportRange.MaxDays)
        {
            return null;
        }

        return new ReportRange(fromDay, toDay, zone);
    }

    private static ProblemHttpResult RangeProblem(IQueryCollection query)
    {
        var preset = query["preset"].ToString();
        if (preset.Length > 0)
        {
            return query["from"].Count > 0 || query["to"].Count > 0
                ? Problems.Field("preset", "Give either a preset or from/to, not both.")
                : Problems.Field("preset", $"Must be one of {string.Join(", ", ReportRange.Presets)}.");
        }

        if (!TryDate(query["from"].ToString(), out var from))
        {
            return Problems.Field("from", "Required with 'to': a date YYYY-MM-DD (included).");
        }

        if (!TryDate(query["to"].ToString(), out var to))
        {
            return Problems.Field("to", "Required with 'from': a date YYYY-MM-DD (included).");
        }

        return to < from
            ? Problems.Field("to", "Must not be before 'from'.")
            : Problems.Field("to", $"A report covers at most {ReportRange.MaxDays} days.");
    }

    private static bool TryDate(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    /// <summary>Issues the invoice of a closed month (<c>{"period":"2026-10"}</c>); the same period again returns the one issued.</summary>
    private static async Task<IResult> IssueInvoice(
        string key, IssueInvoiceRequest request, HttpContext context, IGrainFactory grains, ILedger ledger, TimeProvider clock, CancellationToken cancellationToken)
    {
        var org = context.Org();

        var billing = grains.GetGrain<IBillingGrain>(org);
        if (await billing.GetAccount(key) is not { } account)
        {
            return Problems.NotFound($"Billing account '{key}' does not exist.");
        }

        var zone = ReportRange.FindZone(account.TimeZone)!;
        if (!ReportRange.TryParseMonth(request.Period, zone, out var range))
        {
            return Problems.Field("period", "Required: the month to invoice, YYYY-MM.");
        }

        if (range.End > clock.GetUtcNow())
        {
            return Problems.Field("period", $"{request.Period} is not closed yet in {account.TimeZone}: it ends {range.End:O}.");
        }

        var (report, _) = await Build(org, account.Projects, range, grains, ledger, clock, monthToDate: false, cancellationToken);
        var lines = report.InvoiceLines();
        var draft = new Invoice("", account.Key, account.Name, request.Period!, range.From, range.To, account.TimeZone, PriceCatalog.Usd,
            lines, lines.Sum(l => l.Amount), clock.GetUtcNow());
        var (invoice, created) = await billing.Issue(draft);
        return created
            ? TypedResults.Created($"/v1/billing-accounts/{key}/invoices/{invoice.Number}", invoice)
            : TypedResults.Ok(invoice);
    }

    private static async Task<IResult> ListInvoices(string key, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        var billing = grains.GetGrain<IBillingGrain>(org);
        return await billing.GetAccount(key) is null
            ? Problems.NotFound($"Billing account '{key}' does not exist.")
            : TypedResults.Ok(await billing.ListInvoices(key));
    }

    private static async Task<IResult> GetInvoice(string key, string number, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        return await grains.GetGrain<IBillingGrain>(org).GetInvoice(number) is { } invoice && invoice.Account == key
            ? TypedResults.Ok(invoice)
            : Problems.NotFound($"Invoice '{number}' of billing account '{key}' does not exist.");
    }

    private static async Task<IResult> GetInvoicePdf(string key, string number, HttpContext context, IGrainFactory grains)
    {
        var org = context.Org();

        if (await grains.GetGrain<IBillingGrain>(org).GetInvoice(number) is not { } invoice || invoice.Account != key)
        {
            return Problems.NotFound($"Invoice '{number}' of billing account '{key}' does not exist.");
        }

        var name = (await grains.GetGrain<IOrganizationGrain>(org).GetInfo())?.Name ?? org;
        return TypedResults.File(InvoicePdf.Render(invoice, name), InvoicePdf.ContentType, $"{invoice.Number}.pdf");
    }
}
