using System.Globalization;
using CostGrains.Reports;
using CsvHelper;

namespace CostGrains.Server.Reports;

/// <summary>A report as CSV: one row per day, project and category with a cost (RFC 4180, invariant culture).</summary>
public static class ReportCsv
{
    public const string ContentType = "text/csv";

    private sealed record Row(string Date, string Project, string ProjectName, string Category, decimal Amount);

    public static string Write(SpendReport report, IReadOnlyList<Ledger.DailyCost> daily)
    {
        var names = report.Projects.ToDictionary(p => p.Project, p => p.Name);
        var rows = daily
            .Where(r => names.ContainsKey(r.Target) && r.Day >= report.From && r.Day <= report.To)
            .OrderBy(r => r.Day).ThenBy(r => r.Target, StringComparer.Ordinal).ThenBy(r => r.Category, StringComparer.Ordinal)
            .Select(r => new Row(r.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), r.Target, names[r.Target], r.Category, r.Amount));
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(text, CultureInfo.InvariantCulture);
        csv.Context.RegisterClassMap<RowMap>();
        csv.WriteRecords(rows);
        csv.Flush();
        return text.ToString();
    }

    private sealed class RowMap : CsvHelper.Configuration.ClassMap<Row>
    {
        public RowMap()
        {
            Map(r => r.Date).Name("date");
            Map(r => r.Project).Name("project");
            Map(r => r.ProjectName).Name("project_name");
            Map(r => r.Category).Name("category");
            Map(r => r.Amount).Name("amount_usd");
        }
    }
}
