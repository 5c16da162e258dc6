namespace CostGrains.Reports;

/// <summary>One project's line in a report: its daily cost (one value per day of the range) and totals.</summary>
public sealed record ProjectSeries(
    string Project,
    string Name,
    IReadOnlyList<decimal> Daily,
    decimal Total,
    IReadOnlyDictionary<string, decimal> ByCategory);

/// <summary>What a project used in a period, per resource and category.</summary>
public sealed record ResourceUsage(string Project, string Resource, string Category, decimal Amount)
{
    /// <summary>A ledger sum as reports show it: usage sent without a resource is "(unattributed)".</summary>
    public static ResourceUsage From(Ledger.ResourceCost cost) => new(cost.Target, cost.Resource ?? "(unattributed)", cost.Category, cost.Amount);
}

/// <summary>
/// A spend report: daily billed cost per project over a range of local days, totals per project
/// and per category (resource type), and month-to-date usage per project by resource. Amounts
/// are exact; invoices round each project × category line to the cent.
/// </summary>
public sealed record SpendReport(
    DateOnly From,
    DateOnly To,
    string TimeZone,
    IReadOnlyList<DateOnly> Days,
    IReadOnlyList<ProjectSeries> Projects,
    decimal Total,
    IReadOnlyDictionary<string, decimal> ByCategory,
    IReadOnlyList<ResourceUsage> MonthToDate)
{
    public static SpendReport Build(
        ReportRange range,
        IReadOnlyList<(string Key, string Name)> projects,
        IReadOnlyList<Ledger.DailyCost> daily,
        IReadOnlyList<Ledger.ResourceCost> monthToDate)
    {
        var days = range.Days().ToList();
        var index = days.Select((d, i) => (d, i)).ToDictionary(x => x.d, x => x.i);
        var series = new List<ProjectSeries>(projects.Count);
        foreach (var (key, name) in projects.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var values = new decimal[days.Count];
            var byCategory = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
            foreach (var row in daily.Where(r => r.Target == key))
            {
                if (index.TryGetValue(row.Day, out var i))
                {
                    values[i] += row.Amount;
                    byCategory[row.Category] = byCategory.GetValueOrDefault(row.Category) + row.Amount;
                }
            }

            series.Add(new ProjectSeries(key, name, values, values.Sum(), byCategory));
        }

        var totalByCategory = new SortedDictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var (category, amount) in series.SelectMany(s => s.ByCategory))
        {
            totalByCategory[category] = totalByCategory.GetValueOrDefault(category) + amount;
        }

        var usage = monthToDate
            .Select(ResourceUsage.From)
            .OrderBy(r => r.Project, StringComparer.Ordinal).ThenByDescending(r => r.Amount).ThenBy(r => r.Resource, StringComparer.Ordinal)
            .ToList();
        return new SpendReport(range.From, range.To, range.TimeZone.Id, days, series, series.Sum(s => s.Total), totalByCategory, usage);
    }

    /// <summary>An invoice's lines for this report: each project × category total, rounded to the cent.</summary>
    public IReadOnlyList<InvoiceLine> InvoiceLines() =>
        Projects
            .SelectMany(p => p.ByCategory.Where(c => c.Value != 0).Select(c => new InvoiceLine(p.Project, p.Name, c.Key, Cents(c.Value))))
            .ToList();

    /// <summary>Rounds to the cent, half away from zero (as invoices are printed).</summary>
    public static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);
}
