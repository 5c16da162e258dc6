using CostGrains.Streaming;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace CostGrains.Tests;

public sealed class LedgerQueueCacheTests
{
    private static readonly StreamId A = StreamId.Create(StreamNamespaces.Project, "acme/a");
    private static readonly StreamId B = StreamId.Create(StreamNamespaces.Project, "acme/b");

    private static LedgerBatchContainer C(StreamId stream, long seq, long pageEnd = 0) =>
        new(stream, [new UsageRecord(seq, $"e{seq}", DateTimeOffset.UnixEpoch, 1m, "compute", null, null, null)], pageEnd);

    private static List<long> Drain(IQueueCacheCursor cursor)
    {
        var seen = new List<long>();
        while (cursor.MoveNextWithResult() == QueueCacheCursorMoveResult.Success)
        {
            seen.Add(((LedgerBatchContainer)cursor.GetCurrent(out _)!).Records[0].Seq);
        }

        return seen;
    }

    [Fact]
    public void A_cursor_sees_only_its_stream_in_order_and_picks_up_later_rows()
    {
        var cache = new LedgerQueueCache(100);
        cache.AddToCache([C(A, 1), C(B, 2), C(A, 3), C(B, 4)]);
        var a = cache.GetCacheCursor(A, null);
        Assert.Equal([1L, 3L], Drain(a));
        cache.AddToCache([C(B, 5), C(A, 6)]);
        Assert.Equal([6L], Drain(a));
        Assert.Equal([2L, 4L, 5L], Drain(cache.GetCacheCursor(B, null)));
    }

    [Fact]
    public void Rows_leave_the_cache_oldest_first_and_only_once_delivered()
    {
        var cache = new LedgerQueueCache(100);
        cache.AddToCache([C(A, 1), C(B, 2), C(A, 3, pageEnd: 3)]);
        var a = cache.GetCacheCursor(A, null);
        Drain(a);
        // B's row is older than A's second row and not delivered yet: nothing after it may go.
        Assert.True(cache.TryPurgeFromCache(out var purged));
        Assert.Equal([1L], purged.Select(p => ((LedgerBatchContainer)p).Records[0].Seq));
        Assert.False(cache.TryPurgeFromCache(out _));

        var b = cache.GetCacheCursor(B, null);
        Assert.Equal(QueueCacheCursorMoveResult.Success, b.MoveNextWithResult());
        Assert.False(cache.TryPurgeFromCache(out _)); // current, not yet handed over
        Assert.Equal(QueueCacheCursorMoveResult.NoData, b.MoveNextWithResult());
        Assert.True(cache.TryPurgeFromCache(out purged));
        Assert.Equal([2L, 3L], purged.Select(p => ((LedgerBatchContainer)p).Records[0].Seq));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_cursor_starting_at_a_token_skips_older_rows_of_its_stream()
    {
        var cache = new LedgerQueueCache(100);
        cache.AddToCache([C(A, 1), C(A, 2), C(A, 3)]);
        Assert.Equal([2L, 3L], Drain(cache.GetCacheCursor(A, new EventSequenceTokenV2(2))));
        Assert.True(cache.TryPurgeFromCache(out var purged));
        Assert.Equal(3, purged.Count);
    }

    [Fact]
    public void Capacity_limits_how_far_the_receiver_reads_ahead()
    {
        var cache = new LedgerQueueCache(3);
        cache.AddToCache([C(A, 1), C(A, 2)]);
        Assert.Equal(1, cache.GetMaxAddCount());
        cache.AddToCache([C(A, 3)]);
        Assert.True(cache.IsUnderPressure());
        Drain(cache.GetCacheCursor(A, null));
        cache.TryPurgeFromCache(out _);
        Assert.Equal(3, cache.GetMaxAddCount());
    }
}
