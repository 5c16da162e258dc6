using System.Globalization;
using System.Threading.Channels;
using CostGrains.Ledger;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CostGrains.Postgres.Ledger;

/// <summary>
/// The ledger in PostgreSQL. Appends that arrive together are committed together (group commit):
/// one transaction takes the counter rows of the partitions it touches in partition order, numbers
/// the new rows from them, streams them in with binary <c>COPY</c> and notifies the other nodes —
/// a few round trips and one commit for many HTTP batches. When an id in the group was stored
/// before (an agent's retry), the copy fails on the primary key and rolls back; the group is then
/// written by one statement that numbers, inserts with <c>ON CONFLICT DO NOTHING</c> and reports
/// which rows were new.
/// </summary>
public sealed class PostgresLedger : ILedger, IAsyncDisposable
{
    private const string InsertSql = """
        WITH n AS (
            SELECT p, count(*)::bigint AS n FROM unnest($3::integer[]) AS p GROUP BY p),
        bump AS (
            UPDATE cg_partition c SET last_seq = c.last_seq + n.n FROM n
             WHERE c.partition = n.p
            RETURNING c.partition, c.last_seq - n.n AS base),
        ev AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::smallint[], $5::text[],
                                 $6::timestamptz[], $7::timestamptz[], $8::text[], $9::numeric[], $10::numeric[],
                                 $11::numeric[], $12::text[], $13::text[], $14::text[], $15::text[],
                                 $16::smallint[], $17::text[], $18::numeric[], $19::text[])
                   WITH ORDINALITY AS e(org, id, partition, kind, target, time, end_time, sku, quantity, price,
                                        amount, unit, category, resource, dimensions, type, state, rate, details, ord)),
        ins AS (
            INSERT INTO cg_event (org, id, partition, seq, kind, target, target_id, time, end_time, sku, quantity, price,
                                  amount, unit, category, resource, dimensions, type, state, rate, details)
            SELECT ev.org, ev.id, ev.partition,
                   bump.base + row_number() OVER (PARTITION BY ev.partition ORDER BY ev.ord),
                   ev.kind, ev.target,
                   (SELECT t.id FROM cg_target t WHERE t.org = ev.org AND t.kind = ev.kind AND t.key = ev.target),
                   ev.time, ev.end_time, ev.sku, ev.quantity, ev.price, ev.amount, ev.unit,
                   ev.category, ev.resource, ev.dimensions::jsonb, ev.type, ev.state, ev.rate, ev.details::jsonb
              FROM ev JOIN bump ON bump.partition = ev.partition
             ORDER BY ev.ord
            ON CONFLICT (org, id) DO NOTHING
            RETURNING org, id, seq)
        SELECT org, id, seq FROM ins
        """;

    private const string CopySql = """
        COPY cg_event (org, id, partition, seq, kind, target, target_id, time, end_time, sku, quantity, price,
                       amount, unit, category, resource, dimensions, type, state, rate, details)
        FROM STDIN (FORMAT BINARY)
        """;

    // After a copy meets an id already stored, this many groups take the path that skips them.
    private const int CopyBackoffGroups = 16;

    private const string TargetIdSql = "SELECT id FROM cg_target WHERE org = $1 AND kind = $2 AND key = $3";

    private const string RecordColumns = "seq, id, time, amount, category, sku, quantity, resource, type, state, rate, details";

    private readonly NpgsqlDataSource _db;
    private readonly PostgresLedgerOptions _options;
    private readonly ILogger<PostgresLedger> _logger;
    private readonly Channel<PendingAppend>[] _pending;
    private readonly Task[] _writers;

    // Targets known to be in cg_target, with their number. Read paths check a target on every
    // request, and the writer registers only targets not in here. The entry is null until a read
    // has loaded it.
    private const int MaxKnownTargets = 200_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TargetRef, KnownTarget> _knownTargets = new();
    private int _copyBackoff;
    private long _copied;
    private long _deduplicating;

    public PostgresLedger(NpgsqlDataSource db, PostgresLedgerOptions options, ILogger<PostgresLedger> logger)
    {
        _db = db;
        _options = options;
        _logger = logger;
        Partitions = options.Partitions;
        Signal = new LedgerSignal(options.Partitions);
        Tail = new LedgerTail(options.Partitions, options.TailRowsPerPartition);
        // Each writer owns the partitions p with p % writers == its index: writers lock disjoint
        // counter rows, so their transactions run side by side instead of queueing on each other.
        var writers = Math.Clamp(options.Writers, 1, options.Partitions);
        _pending = Enumerable.Range(0, writers).Select(_ => Channel.CreateUnbounded<PendingAppend>()).ToArray();
        _writers = _pending.Select(channel => Task.Run(() => WriteLoop(channel.Reader))).ToArray();
    }

    public int Partitions { get; }

    public LedgerSignal Signal { get; }

    /// <summary>Names this node in its ledger notifications, so its own are not taken twice.</summary>
    public string NodeId { get; } = Guid.NewGuid().ToString("N")[..12];

    /// <summary>Transactions committed by binary COPY (no id in them was stored before).</summary>
    public long CopiedTransactions => Interlocked.Read(ref _copied);

    /// <summary>Transactions committed by the statement that skips ids already stored.</summary>
    public long DeduplicatingTransactions => Interlocked.Read(ref _deduplicating);

    /// <summary>What this node committed last, per partition: the stream reads it from memory.</summary>
    public LedgerTail Tail { get; }

    /// <summary>Creates the partition counters on first use and refuses a changed partition count.</summary>
    public static async Task EnsurePartitionsAsync(NpgsqlDataSource db, int partitions, CancellationToken cancellationToken)
    {
        var count = partitions.ToString(CultureInfo.InvariantCulture);
        await using var batch = db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO cg_setting (key, value) VALUES ('partitions', $1) ON CONFLICT DO NOTHING")
        { Parameters = { new() { Value = count } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO cg_partition (partition) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING")
        { Parameters = { new() { Value = partitions } } });
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await using var check = db.CreateCommand("SELECT value FROM cg_setting WHERE key = 'partitions'");
        var stored = (string?)await check.ExecuteScalarAsync(cancellationToken);
        if (stored != count)
        {
            throw new InvalidOperationException(
                $"The ledger was created with {stored} partitions; this node is configured for {partitions}. The partition count cannot change.");
        }
    }

    public async Task<AppendResult> AppendAsync(IReadOnlyList<LedgerEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return new AppendResult([]);
        }

        if (_pending.Length == 1)
        {
            var single = new PendingAppend(events);
            await _pending[0].Writer.WriteAsync(single, cancellationToken);
            // The append goes on even if this caller stops waiting: it is idempotent, and a retry dedupes.
            return await single.Completion.Task.WaitAsync(cancellationToken);
        }

        // One share per writer; the caller is answered only when every share has committed. If a
        // share fails, the caller gets the error and its retry stores the rest (the others dedupe).
        var indexes = new List<int>?[_pending.Length];
        for (var i = 0; i < events.Count; i++)
        {
            (indexes[events[i].Partition % _pending.Length] ??= []).Add(i);
        }

        var shares = new List<(PendingAppend Append, List<int> Indexes)>();
        for (var w = 0; w < indexes.Length; w++)
        {
            if (indexes[w] is not { } mine)
            {
                continue;
            }

            var share = new PendingAppend(mine.Count == events.Count ? events : [.. mine.Select(i => events[i])]);
            shares.Add((share, mine));
            await _pending[w].Writer.WriteAsync(share, cancellationToken);
        }

        var inserted = new bool[events.Count];
        foreach (var (share, mine) in shares)
        {
            var result = await share.Completion.Task.WaitAsync(cancellationToken);
            for (var i = 0; i < mine.Count; i++)
            {
                inserted[mine[i]] = result.Inserted[i];
            }
        }

        return new AppendResult(inserted);
    }

    public async Task<IReadOnlyList<LedgerRow>> ReadPartitionAsync(int partition, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        if (Tail.TryRead(partition, afterSeq, limit) is { } fromMemory)
        {
            return fromMemory;
        }

        await using var command = _db.CreateCommand(
            $"SELECT kind, org, target, {RecordColumns} FROM cg_event WHERE partition = $1 AND seq > $2 ORDER BY seq LIMIT $3");
        command.Parameters.Add(new() { Value = partition });
        command.Parameters.Add(new() { Value = afterSeq });
        command.Parameters.Add(new() { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<LedgerRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var target = new TargetRef((TargetKind)reader.GetInt16(0), reader.GetString(1), reader.GetString(2));
            rows.Add(new LedgerRow(target, ReadRecord(reader, 3)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<UsageRecord>> ReadTargetAsync(TargetRef target, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(
            $"SELECT {RecordColumns} FROM cg_event WHERE target_id = ({TargetIdSql}) AND seq > $4 ORDER BY seq LIMIT $5");
        command.Parameters.Add(new() { Value = target.Org });
        command.Parameters.Add(new() { Value = (short)target.Kind });
        command.Parameters.Add(new() { Value = target.Key });
        command.Parameters.Add(new() { Value = afterSeq });
        command.Parameters.Add(new() { Value = limit });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new List<UsageRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(ReadRecord(reader, 0));
        }

        return records;
    }

    public async Task<long> ReadCheckpointAsync(int partition, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT seq FROM cg_stream_checkpoint WHERE partition = $1");
        command.Parameters.Add(new() { Value = partition });
        return await command.ExecuteScalarAsync(cancellationToken) is long seq ? seq : 0;
    }

    public async Task WriteCheckpointAsync(int partition, long seq, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            INSERT INTO cg_stream_checkpoint (partition, seq) VALUES ($1, $2)
            ON CONFLICT (partition) DO UPDATE SET seq = GREATEST(cg_stream_checkpoint.seq, excluded.seq)
            """);
        command.Parameters.Add(new() { Value = partition });
        command.Parameters.Add(new() { Value = seq });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<TargetSum>> SumByTargetAsync(string org, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(
            "SELECT kind, target, sum(amount), count(*), max(seq) FROM cg_event WHERE org = $1 GROUP BY kind, target");
        command.Parameters.Add(new() { Value = org });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sums = new List<TargetSum>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sums.Add(new TargetSum(
                new TargetRef((TargetKind)reader.GetInt16(0), org, reader.GetString(1)),
                reader.GetDecimal(2), reader.GetInt64(3), reader.GetInt64(4)));
        }

        return sums;
    }

    public async Task<bool> RegisterTargetAsync(TargetRef target, string unit, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("INSERT INTO cg_target (org, kind, key, unit) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
        command.Parameters.Add(new() { Value = target.Org });
        command.Parameters.Add(new() { Value = (short)target.Kind });
        command.Parameters.Add(new() { Value = target.Key });
        command.Parameters.Add(new() { Value = unit });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<TargetEntry?> GetTargetAsync(TargetRef target, CancellationToken cancellationToken)
    {
        // Targets are never deleted and their unit is fixed at first use: a found one stays found.
        if (_knownTargets.TryGetValue(target, out var known) && known.Entry is { } cached)
        {
            return cached;
        }

        await using var command = _db.CreateCommand("SELECT unit, first_seen, id FROM cg_target WHERE org = $1 AND kind = $2 AND key = $3");
        command.Parameters.Add(new() { Value = target.Org });
        command.Parameters.Add(new() { Value = (short)target.Kind });
        command.Parameters.Add(new() { Value = target.Key });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var entry = new TargetEntry(target, reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
        RememberTarget(target, reader.GetInt64(2), entry);
        return entry;
    }

    public async Task<IReadOnlyList<TargetEntry>> ListTargetsAsync(string org, TargetKind kind, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(
            "SELECT key, unit, first_seen FROM cg_target WHERE org = $1 AND kind = $2 ORDER BY key");
        command.Parameters.Add(new() { Value = org });
        command.Parameters.Add(new() { Value = (short)kind });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new List<TargetEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new TargetEntry(new TargetRef(kind, org, reader.GetString(0)), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return entries;
    }

    public async Task<IReadOnlyList<DailyCost>> DailyCostAsync(CostQuery query, CancellationToken cancellationToken)
    {
        await using var command = CostCommand(query, "target, (time AT TIME ZONE $6)::date, category");
        command.Parameters.Add(new() { Value = query.TimeZone });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<DailyCost>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new DailyCost(reader.GetString(0), reader.GetFieldValue<DateOnly>(1), reader.GetString(2), reader.GetDecimal(3)));
        }

        return rows;
    }

    public async Task<IReadOnlyList<ResourceCost>> ResourceCostAsync(CostQuery query, CancellationToken cancellationToken)
    {
        await using var command = CostCommand(query, "target, resource, category");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<ResourceCost>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new ResourceCost(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetString(2), reader.GetDecimal(3)));
        }

        return rows;
    }

    /// <summary>Billed usage (type 0) of the query's targets and time range, summed per the grouping.</summary>
    private NpgsqlCommand CostCommand(CostQuery query, string grouping)
    {
        var command = _db.CreateCommand($"""
            SELECT {grouping}, sum(amount) FROM cg_event
             WHERE org = $1 AND kind = $2 AND type = 0 AND time >= $3 AND time < $4
               AND ($5::text[] IS NULL OR target = ANY($5))
             GROUP BY {grouping}
            """);
        command.Parameters.Add(new() { Value = query.Org });
        command.Parameters.Add(new() { Value = (short)query.Kind });
        command.Parameters.Add(new() { Value = query.From.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = query.To.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)query.Targets?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        return command;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _pending)
        {
            channel.Writer.TryComplete();
        }

        await Task.WhenAll(_writers);
    }

    private static UsageRecord ReadRecord(NpgsqlDataReader r, int o) => new(
        r.GetInt64(o), r.GetString(o + 1), r.GetFieldValue<DateTimeOffset>(o + 2), r.GetDecimal(o + 3), r.GetString(o + 4),
        r.IsDBNull(o + 5) ? null : r.GetString(o + 5),
        r.IsDBNull(o + 6) ? null : r.GetDecimal(o + 6),
        r.IsDBNull(o + 7) ? null : r.GetString(o + 7),
        r.GetInt16(o + 8) == 0 ? null : new ResourceChange(
            (EventType)r.GetInt16(o + 8), r.GetString(o + 9), r.IsDBNull(o + 10) ? null : r.GetDecimal(o + 10), r.IsDBNull(o + 11) ? null : r.GetString(o + 11)));

    private async Task WriteLoop(ChannelReader<PendingAppend> reader)
    {
        var group = new List<PendingAppend>();
        while (await reader.WaitToReadAsync())
        {
            group.Clear();
            var events = 0;
            while (events < _options.MaxEventsPerTransaction && reader.TryRead(out var next))
            {
                group.Add(next);
                events += next.Events.Count;
            }

            if (group.Count == 0)
            {
                continue;
            }

            try
            {
                await WriteGroup(group);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Appending {Count} events to the ledger failed", events);
                foreach (var pending in group)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }
    }

    private async Task WriteGroup(List<PendingAppend> group)
    {
        IReadOnlyList<LedgerEvent> rows = group.Count == 1 ? group[0].Events : [.. group.SelectMany(p => p.Events)];
        var partitions = PartitionsOf(rows);
        var targets = new GroupTargets(rows, _knownTargets);

        // Most groups hold no id stored before, and are copied. A copy that meets a stored id (a
        // retry, or one batch sent twice at once) rolls back, and the group takes the statement
        // that skips stored ids; so do the next few groups, as more of the same retry storm follows.
        var seqs = CopyBackingOff() ? null : await CopyAsync(rows, partitions, targets);
        if (seqs is not null)
        {
            Committed(rows, seqs, partitions, targets);
            foreach (var pending in group)
            {
                var inserted = new bool[pending.Events.Count];
                Array.Fill(inserted, true);
                pending.Completion.TrySetResult(new AppendResult(inserted));
            }

            return;
        }

        // Within the group the first occurrence of an (org, id) is the one offered to the ledger.
        var offered = new Dictionary<(string, string), (int Group, int Index)>();
        var firsts = new List<LedgerEvent>();
        for (var g = 0; g < group.Count; g++)
        {
            var events = group[g].Events;
            for (var i = 0; i < events.Count; i++)
            {
                if (offered.TryAdd((events[i].Org, events[i].Id), (g, i)))
                {
                    firsts.Add(events[i]);
                }
            }
        }

        var stored = await InsertSkippingStoredAsync(firsts, partitions, targets);
        Committed(firsts, [.. firsts.Select(r => stored.GetValueOrDefault((r.Org, r.Id)))], partitions, targets);
        for (var g = 0; g < group.Count; g++)
        {
            var events = group[g].Events;
            var result = new bool[events.Count];
            for (var i = 0; i < events.Count; i++)
            {
                var key = (events[i].Org, events[i].Id);
                result[i] = stored.ContainsKey(key) && offered[key] == (g, i);
            }

            group[g].Completion.TrySetResult(new AppendResult(result));
        }
    }

    /// <summary>
    /// The common case, no id stored before: take the partitions' counters, number the rows here and
    /// stream them in with binary COPY. Returns each row's seq, or null, having rolled back, when
    /// an id was already stored.
    /// </summary>
    private async Task<long[]?> CopyAsync(IReadOnlyList<LedgerEvent> rows, int[] partitions, GroupTargets targets)
    {
        var counts = new long[Partitions];
        foreach (var r in rows)
        {
            counts[r.Partition]++;
        }

        await using var connection = await _db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(LockCounters(partitions));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE cg_partition c SET last_seq = c.last_seq + u.n
              FROM unnest($1::integer[], $2::bigint[]) AS u(p, n)
             WHERE c.partition = u.p
            RETURNING c.partition, c.last_seq - u.n
            """)
        {
            Parameters =
            {
                new() { Value = partitions },
                new() { Value = partitions.Select(p => counts[p]).ToArray() },
            },
        });
        var registering = AddRegisterTargets(batch, targets);
        batch.BatchCommands.Add(Notify(partitions));
        var last = new long[Partitions];
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                last[reader.GetInt32(0)] = reader.GetInt64(1);
            }

            if (registering)
            {
                await reader.NextResultAsync();
                await ReadTargetIdsAsync(reader, targets);
            }
        }

        var seqs = new long[rows.Count];
        try
        {
            await using var copy = await connection.BeginBinaryImportAsync(CopySql);
            for (var i = 0; i < rows.Count; i++)
            {
                seqs[i] = ++last[rows[i].Partition];
                await WriteRowAsync(copy, rows[i], seqs[i], targets.IdOfRow(i));
            }

            await copy.CompleteAsync();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await tx.RollbackAsync();
            Volatile.Write(ref _copyBackoff, CopyBackoffGroups);
            return null;
        }

        await tx.CommitAsync();
        Interlocked.Increment(ref _copied);
        return seqs;
    }

    /// <summary>The general path: one statement that numbers, inserts and skips ids already stored.</summary>
    private async Task<Dictionary<(string, string), long>> InsertSkippingStoredAsync(
        List<LedgerEvent> rows, int[] partitions, GroupTargets targets)
    {
        await using var connection = await _db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, tx);
        batch.BatchCommands.Add(LockCounters(partitions));
        // The insert looks the numbers up itself, so the new targets are registered before it.
        var registering = AddRegisterTargets(batch, targets);
        batch.BatchCommands.Add(InsertCommand(rows));
        batch.BatchCommands.Add(Notify(partitions));

        var inserted = new Dictionary<(string, string), long>();
        await using (var reader = await batch.ExecuteReaderAsync())
        {
            // The reader skips statements that return no rows (the target insert).
            if (registering)
            {
                await reader.NextResultAsync();
                await ReadTargetIdsAsync(reader, targets);
            }

            await reader.NextResultAsync();
            while (await reader.ReadAsync())
            {
                inserted.Add((reader.GetString(0), reader.GetString(1)), reader.GetInt64(2));
            }
        }

        await tx.CommitAsync();
        Interlocked.Increment(ref _deduplicating);
        return inserted;
    }

    /// <summary>
    /// Locks the counters in partition order first: concurrent appenders never deadlock, and a
    /// partition's rows commit in the order their numbers were taken.
    /// </summary>
    private static NpgsqlBatchCommand LockCounters(int[] partitions) => new(
        "SELECT partition FROM cg_partition WHERE partition = ANY($1) ORDER BY partition FOR UPDATE")
    { Parameters = { new() { Value = partitions } } };

    /// <summary>
    /// Creates the targets of a group on first use, in its transaction, with the unit their first
    /// event fixes (targets a concurrent transaction created first keep theirs), then reads their
    /// numbers — in a second statement, whose snapshot also sees targets created concurrently.
    /// False when every target of the group is known.
    /// </summary>
    private static bool AddRegisterTargets(NpgsqlBatch batch, GroupTargets targets)
    {
        var unregistered = targets.Unregistered;
        if (unregistered.Count == 0)
        {
            return false;
        }

        var orgs = unregistered.Select(t => t.Target.Org).ToArray();
        var kinds = unregistered.Select(t => (short)t.Target.Kind).ToArray();
        var keys = unregistered.Select(t => t.Target.Key).ToArray();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO cg_target (org, kind, key, unit)
            SELECT * FROM unnest($1::text[], $2::smallint[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING
            """)
        {
            Parameters =
            {
                new() { Value = orgs },
                new() { Value = kinds },
                new() { Value = keys },
                new() { Value = unregistered.Select(t => t.Unit).ToArray() },
            },
        });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT t.org, t.kind, t.key, t.id
              FROM cg_target t JOIN unnest($1::text[], $2::smallint[], $3::text[]) AS u(org, kind, key)
                ON t.org = u.org AND t.kind = u.kind AND t.key = u.key
            """)
        {
            Parameters = { new() { Value = orgs }, new() { Value = kinds }, new() { Value = keys } },
        });
        return true;
    }

    private static async Task ReadTargetIdsAsync(NpgsqlDataReader reader, GroupTargets targets)
    {
        while (await reader.ReadAsync())
        {
            targets.Registered(new TargetRef((TargetKind)reader.GetInt16(1), reader.GetString(0), reader.GetString(2)), reader.GetInt64(3));
        }
    }

    /// <summary>Wakes the stream readers of the other nodes when the transaction commits.</summary>
    private NpgsqlBatchCommand Notify(int[] partitions) => new("SELECT pg_notify($1, $2)")
    {
        Parameters =
        {
            new() { Value = _options.NotifyChannel },
            new() { Value = $"{NodeId}|{string.Join(',', partitions)}" },
        },
    };

    private bool CopyBackingOff()
    {
        if (Volatile.Read(ref _copyBackoff) <= 0)
        {
            return false;
        }

        Interlocked.Decrement(ref _copyBackoff);
        return true;
    }

    private int[] PartitionsOf(IReadOnlyList<LedgerEvent> rows)
    {
        var touched = new bool[Partitions];
        foreach (var r in rows)
        {
            touched[r.Partition] = true;
        }

        return [.. Enumerable.Range(0, Partitions).Where(p => touched[p])];
    }

    /// <summary>Remembers that a target is in cg_target, with its number (and its entry, once a read loaded it).</summary>
    private void RememberTarget(TargetRef target, long id, TargetEntry? entry)
    {
        // Counting a concurrent dictionary takes all its locks: only a new target pays for it.
        if (!_knownTargets.ContainsKey(target) && _knownTargets.Count >= MaxKnownTargets)
        {
            _knownTargets.Clear();
        }

        if (entry is null)
        {
            _knownTargets.TryAdd(target, new KnownTarget(id, null));
        }
        else
        {
            _knownTargets[target] = new KnownTarget(id, entry);
        }
    }

    /// <summary>After a commit: remembers the new targets, hands the rows to the tail and wakes the readers.</summary>
    private void Committed(IReadOnlyList<LedgerEvent> rows, long[] seqs, int[] partitions, GroupTargets targets)
    {
        foreach (var (target, _) in targets.Unregistered)
        {
            if (targets.IdOf(target) is > 0 and var id)
            {
                RememberTarget(target, id, null);
            }
        }

        PublishTail(rows, seqs);
        Signal.Raise(partitions);
    }

    private static async ValueTask WriteRowAsync(NpgsqlBinaryImporter copy, LedgerEvent r, long seq, long targetId)
    {
        await copy.StartRowAsync();
        await copy.WriteAsync(r.Org, NpgsqlDbType.Text);
        await copy.WriteAsync(r.Id, NpgsqlDbType.Text);
        await copy.WriteAsync(r.Partition, NpgsqlDbType.Integer);
        await copy.WriteAsync(seq, NpgsqlDbType.Bigint);
        await copy.WriteAsync((short)r.Kind, NpgsqlDbType.Smallint);
        await copy.WriteAsync(r.Target, NpgsqlDbType.Text);
        await copy.WriteAsync(targetId, NpgsqlDbType.Bigint);
        await copy.WriteAsync(r.Time.UtcDateTime, NpgsqlDbType.TimestampTz);
        await WriteOrNullAsync(copy, r.End?.UtcDateTime, NpgsqlDbType.TimestampTz);
        await WriteOrNullAsync(copy, r.Sku, NpgsqlDbType.Text);
        await WriteOrNullAsync(copy, r.Quantity, NpgsqlDbType.Numeric);
        await WriteOrNullAsync(copy, r.Price, NpgsqlDbType.Numeric);
        await copy.WriteAsync(r.Amount, NpgsqlDbType.Numeric);
        await copy.WriteAsync(r.Unit, NpgsqlDbType.Text);
        await copy.WriteAsync(r.Category, NpgsqlDbType.Text);
        await WriteOrNullAsync(copy, r.Resource, NpgsqlDbType.Text);
        await WriteOrNullAsync(copy, r.DimensionsJson, NpgsqlDbType.Jsonb);
        await copy.WriteAsync((short)(r.Change?.Type ?? EventType.Usage), NpgsqlDbType.Smallint);
        await WriteOrNullAsync(copy, r.Change?.State, NpgsqlDbType.Text);
        await WriteOrNullAsync(copy, r.Change?.HourlyRate, NpgsqlDbType.Numeric);
        await WriteOrNullAsync(copy, r.Change?.DetailsJson, NpgsqlDbType.Jsonb);
    }

    private static Task WriteOrNullAsync(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type) =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, type);

    private static Task WriteOrNullAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
        where T : struct =>
        value is { } v ? copy.WriteAsync(v, type) : copy.WriteNullAsync();

    /// <summary>
    /// Hands the committed rows to this node's stream readers (a seq of 0 marks a row already
    /// stored). One pass: within a partition the rows were numbered in order, so they are in sequence.
    /// </summary>
    private void PublishTail(IReadOnlyList<LedgerEvent> rows, long[] seqs)
    {
        if (_options.TailRowsPerPartition <= 0)
        {
            return;
        }

        var byPartition = new List<LedgerRow>?[Partitions];
        for (var i = 0; i < rows.Count; i++)
        {
            if (seqs[i] == 0)
            {
                continue;
            }

            var r = rows[i];
            (byPartition[r.Partition] ??= []).Add(new LedgerRow(r.TargetRef, new UsageRecord(seqs[i], r.Id, r.Time, r.Amount, r.Category, r.Sku, r.Quantity, r.Resource, r.Change)));
        }

        for (var p = 0; p < byPartition.Length; p++)
        {
            if (byPartition[p] is { } list)
            {
                Tail.Publish(p, list);
            }
        }
    }

    private static NpgsqlBatchCommand InsertCommand(List<LedgerEvent> rows)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        void Add<T>(Func<LedgerEvent, T> column, NpgsqlDbType type) =>
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(column).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type });

        Add(r => r.Org, NpgsqlDbType.Text);
        Add(r => r.Id, NpgsqlDbType.Text);
        Add(r => r.Partition, NpgsqlDbType.Integer);
        Add(r => (short)r.Kind, NpgsqlDbType.Smallint);
        Add(r => r.Target, NpgsqlDbType.Text);
        Add(r => r.Time.UtcDateTime, NpgsqlDbType.TimestampTz);
        Add(r => r.End?.UtcDateTime, NpgsqlDbType.TimestampTz);
        Add(r => r.Sku, NpgsqlDbType.Text);
        Add(r => r.Quantity, NpgsqlDbType.Numeric);
        Add(r => r.Price, NpgsqlDbType.Numeric);
        Add(r => r.Amount, NpgsqlDbType.Numeric);
        Add(r => r.Unit, NpgsqlDbType.Text);
        Add(r => r.Category, NpgsqlDbType.Text);
        Add(r => r.Resource, NpgsqlDbType.Text);
        Add(r => r.DimensionsJson, NpgsqlDbType.Text);
        Add(r => (short)(r.Change?.Type ?? EventType.Usage), NpgsqlDbType.Smallint);
        Add(r => r.Change?.State, NpgsqlDbType.Text);
        Add(r => r.Change?.HourlyRate, NpgsqlDbType.Numeric);
        Add(r => r.Change?.DetailsJson, NpgsqlDbType.Text);
        return command;
    }

    /// <summary>A target in cg_target: its number, and its entry once a read has loaded it.</summary>
    private sealed record KnownTarget(long Id, TargetEntry? Entry);

    /// <summary>
    /// The distinct targets of a group with their numbers, taken from the known targets once per
    /// group (the cache may be cleared meanwhile), and those still to be registered.
    /// </summary>
    private sealed class GroupTargets
    {
        private readonly Dictionary<TargetRef, int> _index = [];
        private readonly List<long> _ids = [];
        private readonly int[] _rowTarget;

        public GroupTargets(IReadOnlyList<LedgerEvent> rows, System.Collections.Concurrent.ConcurrentDictionary<TargetRef, KnownTarget> known)
        {
            _rowTarget = new int[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                var target = rows[i].TargetRef;
                if (!_index.TryGetValue(target, out var slot))
                {
                    slot = _ids.Count;
                    _index.Add(target, slot);
                    if (known.TryGetValue(target, out var k))
                    {
                        _ids.Add(k.Id);
                    }
                    else
                    {
                        _ids.Add(0);
                        Unregistered.Add((target, rows[i].Unit));
                    }
                }

                _rowTarget[i] = slot;
            }
        }

        /// <summary>Targets not known to be in cg_target, each once, with the unit of its first row.</summary>
        public List<(TargetRef Target, string Unit)> Unregistered { get; } = [];

        public void Registered(TargetRef target, long id) => _ids[_index[target]] = id;

        public long IdOf(TargetRef target) => _ids[_index[target]];

        /// <summary>The number of row <paramref name="row"/>'s target; the group's targets are all registered by now.</summary>
        public long IdOfRow(int row) => _ids[_rowTarget[row]] is > 0 and var id
            ? id
            : throw new InvalidOperationException("A target of the group was not registered.");
    }

    private sealed class PendingAppend(IReadOnlyList<LedgerEvent> events)
    {
        public IReadOnlyList<LedgerEvent> Events { get; } = events;

        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
