using CostGrains.Ledger;

namespace CostGrains.Ingest;

/// <summary>
/// Prices parsed events against an organization's catalog: the SKU rate in force at the event's
/// time, checked against the target's unit. The result is what the ledger stores, for good.
/// </summary>
public static class UsageRater
{
    public const string DefaultCategory = "other";

    /// <summary>
    /// The unit each allocation that the catalog does not know yet would take from this batch
    /// (first use fixes it). Reports events that disagree with an earlier event of the batch.
    /// </summary>
    public static Dictionary<string, string> ProposeAllocationUnits(
        IReadOnlyList<ParsedUsageEvent> events, PriceCatalog catalog, List<IngestError> errors)
    {
        var proposals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.Kind != TargetKind.Allocation || catalog.AllocationUnits.ContainsKey(e.Target))
            {
                continue;
            }

            var unit = UnitOf(e, catalog);
            if (unit is null)
            {
                continue; // an unknown SKU; reported by Rate
            }

            if (!proposals.TryAdd(e.Target, unit) && proposals[e.Target] != unit)
            {
                errors.Add(new IngestError(e.Index, "sku",
                    $"Allocation '{e.Target}' is new and an earlier event of this batch fixes its unit to '{proposals[e.Target]}', not '{unit}'."));
            }
        }

        return proposals;
    }

    /// <summary>Rates every event; adds problems to <paramref name="errors"/> (the batch is then refused).</summary>
    public static List<LedgerEvent> Rate(
        string org, IReadOnlyList<ParsedUsageEvent> events, PriceCatalog catalog, int partitions, List<IngestError> errors)
    {
        var rated = new List<LedgerEvent>(events.Count);
        foreach (var e in events)
        {
            if (e.Report is not null)
            {
                if (RateResource(org, e, catalog, partitions, errors) is { } report)
                {
                    rated.Add(report);
                }

                continue;
            }

            Sku? sku = null;
            if (e.Sku is not null && !catalog.Skus.TryGetValue(e.Sku, out sku))
            {
                errors.Add(new IngestError(e.Index, "sku", $"Unknown SKU '{e.Sku}'. Define it with PUT /v1/skus/{{code}} first."));
                continue;
            }

            var unit = sku?.Unit ?? TargetUnit(e, catalog) ?? PriceCatalog.Usd;
            var targetUnit = TargetUnit(e, catalog) ?? unit;
            if (unit != targetUnit)
            {
                var field = e.Kind.Name();
                errors.Add(new IngestError(e.Index, "sku",
                    $"SKU '{e.Sku}' is priced in '{unit}' but {field} '{e.Target}' is accounted in '{targetUnit}'."));
                continue;
            }

            decimal? price = null;
            decimal amount;
            if (e.Amount is { } given)
            {
                amount = given;
            }
            else
            {
                price = sku!.PriceAt(e.Time);
                if (price is null)
                {
                    errors.Add(new IngestError(e.Index, "time",
                        $"SKU '{sku.Code}' has no rate in force at {e.Time:O}; its first rate starts {sku.Rates[0].From:O}."));
                    continue;
                }

                amount = e.Quantity!.Value * price.Value;
            }

            var target = new TargetRef(e.Kind, org, e.Target);
            rated.Add(new LedgerEvent(
                org, e.Id, e.Kind, e.Target, LedgerPartitioning.PartitionOf(target, partitions),
                Stored(e.Time), e.End is { } end ? Stored(end) : null, e.Sku, e.Quantity, price, amount, targetUnit,
                e.Category ?? sku?.Category ?? DefaultCategory, e.Resource, e.DimensionsJson));
        }

        return rated;
    }

    /// <summary>
    /// Prices a resource report: the hourly rate in force at its time (its own hourlyCost, its SKU ×
    /// quantity, or for a deployment Σ request SKU × quantity × replicas). It bills nothing itself.
    /// </summary>
    private static LedgerEvent? RateResource(string org, ParsedUsageEvent e, PriceCatalog catalog, int partitions, List<IngestError> errors)
    {
        var report = e.Report!;
        var before = errors.Count;
        decimal? PriceOf(string code, string field)
        {
            if (!catalog.Skus.TryGetValue(code, out var sku))
            {
                errors.Add(new IngestError(e.Index, field, $"Unknown SKU '{code}'. Define it with PUT /v1/skus/{{code}} first."));
                return null;
            }

            if (sku.Unit != PriceCatalog.Usd)
            {
                errors.Add(new IngestError(e.Index, field, $"SKU '{code}' is priced in '{sku.Unit}' but projects are accounted in USD."));
                return null;
            }

            var price = sku.PriceAt(e.Time);
            if (price is null)
            {
                errors.Add(new IngestError(e.Index, "time", $"SKU '{code}' has no rate in force at {e.Time:O}."));
            }

            return price;
        }

        decimal? price = null;
        var rate = report.HourlyCost;
        if (report.Type == EventType.Deployment)
        {
            var perReplica = 0m;
            foreach (var (name, quantity) in report.Requests!)
            {
                perReplica += (PriceOf(ResourceReports.SkuOfRequest(name), $"resources.requests.{name}") ?? 0m) * quantity;
            }

            rate = perReplica * report.Replicas!.Value;
        }
        else if (e.Sku is not null)
        {
            price = PriceOf(e.Sku, "sku");
            rate = price * (e.Quantity ?? 1m);
        }

        if (errors.Count > before)
        {
            return null;
        }

        var target = new TargetRef(e.Kind, org, e.Target);
        var category = report.Type == EventType.Bucket ? "storage" : "compute";
        return new LedgerEvent(
            org, e.Id, e.Kind, e.Target, LedgerPartitioning.PartitionOf(target, partitions),
            Stored(e.Time), e.End is { } end ? Stored(end) : null, e.Sku, e.Quantity, price, 0m, PriceCatalog.Usd,
            category, e.Resource, e.DimensionsJson, new ResourceChange(report.Type, report.State, rate, report.DetailsJson));
    }

    /// <summary>
    /// A time as the ledger stores it: UTC, whole microseconds (PostgreSQL's precision), so what a
    /// grain applies is the same whether the row was read back or handed over from memory.
    /// </summary>
    public static DateTimeOffset Stored(DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % TimeSpan.TicksPerMicrosecond));
    }

    private static string? UnitOf(ParsedUsageEvent e, PriceCatalog catalog) =>
        e.Sku is null ? PriceCatalog.Usd : catalog.Skus.TryGetValue(e.Sku, out var sku) ? sku.Unit : null;

    /// <summary>Projects and workspaces account in USD; an allocation in the unit its first use fixed.</summary>
    private static string? TargetUnit(ParsedUsageEvent e, PriceCatalog catalog) => e.Kind switch
    {
        TargetKind.Allocation => catalog.AllocationUnits.GetValueOrDefault(e.Target),
        _ => PriceCatalog.Usd,
    };
}
