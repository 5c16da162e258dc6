namespace CostGrains.Ledger;

/// <summary>
/// The embedded default's ledger: same contract as the PostgreSQL ledger, kept in process memory.
/// Nothing survives a restart.
/// </summary>
public sealed class InMemoryLedger : ILedger
{
    private readonly Lock _gate = new();
    private readonly List<(TargetRef Target, UsageRecord Record)>[] _partitions;
    private readonly long[] _nextSeq;
    private readonly long[] _checkpoints;
    private readonly HashSet<(string Org, string Id)> _ids = [];
    private readonly Dictionary<TargetRef, TargetEntry> _targets = [];

    public InMemoryLedger(int partitions = LedgerPartitioning.DefaultPartitions)
    {
        Partitions = partitions;
        Signal = new LedgerSignal(partitions);
        _partitions = Enumerable.Range(0, partitions).Select(_ => new List<(TargetRef, UsageRecord)>()).ToArray();
        _nextSeq = new long[partitions];
        _checkpoints = new long[partitions];
    }

    public int Partitions { get; }

    public LedgerSignal Signal { get; }

    public Task<AppendResult> AppendAsync(IReadOnlyList<LedgerEvent> events, CancellationToken cancellationToken)
    {
        var inserted = new bool[events.Count];
        var touched = new HashSet<int>();
        lock (_gate)
        {
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                if (!_ids.Add((e.Org, e.Id)))
                {
                    continue;
                }

                inserted[i] = true;
                var seq = ++_nextSeq[e.Partition];
                _partitions[e.Partition].Add((e.TargetRef, new UsageRecord(seq, e.Id, e.Time, e.Amount, e.Category, e.Sku, e.Quantity, e.Resource, e.Change)));
                _targets.TryAdd(e.TargetRef, new TargetEntry(e.TargetRef, e.Unit, DateTimeOffset.UtcNow));
                touched.Add(e.Partition);
            }
        }

        Signal.Raise(touched);
        return Task.FromResult(new AppendResult(inserted));
    }

    public Task<IReadOnlyList<LedgerRow>> ReadPartitionAsync(int partition, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var rows = _partitions[partition];
            // Sequence numbers in a partition are dense from 1, so seq n sits at index n - 1.
            var start = (int)Math.Min(afterSeq, rows.Count);
            IReadOnlyList<LedgerRow> page = rows.Skip(start).Take(limit).Select(r => new LedgerRow(r.Target, r.Record)).ToList();
            return Task.FromResult(page);
        }
    }

    public Task<IReadOnlyList<UsageRecord>> ReadTargetAsync(TargetRef target, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var partition = LedgerPartitioning.PartitionOf(target, Partitions);
        lock (_gate)
        {
            IReadOnlyList<UsageRecord> records = _partitions[partition]
                .Where(r => r.Record.Seq > afterSeq && r.Target == target)
                .Take(limit)
                .Select(r => r.Record)
                .ToList();
            return Task.FromResult(records);
        }
    }

    public Task<long> ReadCheckpointAsync(int partition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_checkpoints[partition]);
        }
    }

    public Task WriteCheckpointAsync(int partition, long seq, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _checkpoints[partition] = Math.Max(_checkpoints[partition], seq);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<TargetSum>> SumByTargetAsync(string org, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TargetSum> sums = _partitions
                .SelectMany(p => p)
                .Where(r => r.Target.Org == org)
                .GroupBy(r => r.Target)
                .Select(g => new TargetSum(g.Key, g.Sum(r => r.Record.Amount), g.LongCount(), g.Max(r => r.Record.Seq)))
                .ToList();
            return Task.FromResult(sums);
        }
    }

    public Task<bool> RegisterTargetAsync(TargetRef target, string unit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_targets.TryAdd(target, new TargetEntry(target, unit, DateTimeOffset.UtcNow)));
        }
    }

    public Task<TargetEntry?> GetTargetAsync(TargetRef target, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_targets.GetValueOrDefault(target));
        }
    }

    public Task<IReadOnlyList<TargetEntry>> ListTargetsAsync(string org, TargetKind kind, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<TargetEntry> entries = _targets.Values
                .Where(t => t.Target.Org == org && t.Target.Kind == kind)
                .OrderBy(t => t.Target.Key, StringComparer.Ordinal)
                .ToList();
            return Task.FromResult(entries);
        }
    }

    public Task<IReadOnlyList<DailyCost>> DailyCostAsync(CostQuery query, CancellationToken cancellationToken)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(query.TimeZone);
        IReadOnlyList<DailyCost> rows = Billed(query)
            .GroupBy(r => (r.Target.Key, Day: DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(r.Record.Time, zone).DateTime), r.Record.Category))
            .Select(g => new DailyCost(g.Key.Key, g.Key.Day, g.Key.Category, g.Sum(r => r.Record.Amount)))
            .ToList();
        return Task.FromResult(rows);
    }

    public Task<IReadOnlyList<ResourceCost>> ResourceCostAsync(CostQuery query, CancellationToken cancellationToken)
    {
        IReadOnlyList<ResourceCost> rows = Billed(query)
            .GroupBy(r => (r.Target.Key, r.Record.Resource, r.Record.Category))
            .Select(g => new ResourceCost(g.Key.Key, g.Key.Resource, g.Key.Category, g.Sum(r => r.Record.Amount)))
            .ToList();
        return Task.FromResult(rows);
    }

    private List<(TargetRef Target, UsageRecord Record)> Billed(CostQuery query)
    {
        lock (_gate)
        {
            return _partitions
                .SelectMany(p => p)
                .Where(r => r.Target.Org == query.Org && r.Target.Kind == query.Kind && r.Record.IsUsage
                    && r.Record.Time >= query.From && r.Record.Time < query.To
                    && (query.Targets is null || query.Targets.Contains(r.Target.Key)))
                .ToList();
        }
    }
}
