namespace CostGrains.Aggregates;

/// <summary>
/// The running totals of one aggregate and the ledger position they include. Applying a record at
/// or below the watermark is a no-op, which is what makes redelivery and replay harmless.
/// </summary>
[GenerateSerializer]
public sealed class UsageTotals
{
    /// <summary>The highest ledger sequence number applied (all of the aggregate's partition).</summary>
    [Id(0)] public long Watermark { get; set; }

    [Id(1)] public decimal Total { get; set; }

    [Id(2)] public Dictionary<string, decimal> ByCategory { get; set; } = new(StringComparer.Ordinal);

    [Id(3)] public long EventCount { get; set; }

    [Id(4)] public DateTimeOffset? FirstEventAt { get; set; }

    [Id(5)] public DateTimeOffset? LastEventAt { get; set; }

    /// <summary>
    /// Whether ledger rows between the watermark and this delivery may be missing: the receiver
    /// delivered a row after the watermark that never arrived, or it does not know its last row
    /// (it restarted) while this aggregate was already being fed. Right after activation the
    /// replay has covered everything committed until then.
    /// </summary>
    public bool MayHaveMissed(Streaming.UsageDelivery delivery, bool fedSinceActivation) =>
        delivery.Records[^1].Seq > Watermark
        && (delivery.PrevSeq > Watermark || (delivery.PrevSeq == 0 && fedSinceActivation));

    /// <summary>Applies the record unless it is already included; true when it changed the totals.</summary>
    public bool Apply(UsageRecord record)
    {
        if (record.Seq <= Watermark)
        {
            return false;
        }

        Watermark = record.Seq;
        Total += record.Amount;
        ByCategory[record.Category] = ByCategory.GetValueOrDefault(record.Category) + record.Amount;
        EventCount++;
        if (FirstEventAt is null || record.Time < FirstEventAt)
        {
            FirstEventAt = record.Time;
        }

        if (LastEventAt is null || record.Time > LastEventAt)
        {
            LastEventAt = record.Time;
        }

        return true;
    }
}

/// <summary>The persisted state of an aggregate grain.</summary>
[GenerateSerializer]
public sealed class AggregateState
{
    [Id(0)] public UsageTotals Totals { get; set; } = new();

    [Id(1)] public string? Unit { get; set; }

    [Id(2)] public Budgets.BudgetTracker Budget { get; set; } = new();

    /// <summary>Display name; the key when never set. Renaming never touches what was attributed.</summary>
    [Id(3)] public string? Name { get; set; }

    [Id(4)] public bool Archived { get; set; }

    /// <summary>What only projects keep: resources, daily cost, credits. Null until first needed.</summary>
    [Id(5)] public Projects.ProjectState? Project { get; set; }
}
