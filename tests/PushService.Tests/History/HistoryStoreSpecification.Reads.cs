using PushService.History;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.History;

/// <summary>Reading back: <see cref="IHistoryStore.ReadSinceAsync"/> and <see cref="IHistoryStore.ReadBeforeAsync"/>.</summary>
public abstract partial class HistoryStoreSpecification
{
    [Fact]
    public async Task ReadSinceTheCurrentOffsetIsRecoveredWithNothing()
    {
        var store = CreateStore(TestOptions());
        var position = await AppendAsync(store, "user:alice", 3);

        var result = await store.ReadSinceAsync("user:alice", position, 10).DefaultTimeout();

        Assert.True(result.Recovered);
        Assert.Empty(result.Entries);
        Assert.Equal(position, result.Current);
    }

    [Fact]
    public async Task ReadSinceFillsAGapWithExactlyTheMissingEntriesInOrder()
    {
        var store = CreateStore(TestOptions());
        var position = await AppendAsync(store, "user:alice", 6);

        var gap = await store.ReadSinceAsync("user:alice", position with { Offset = 3 }, 10).DefaultTimeout();
        var all = await store.ReadSinceAsync("user:alice", position with { Offset = 0 }, 10).DefaultTimeout();

        Assert.True(gap.Recovered);
        Assert.Equal(position, gap.Current);
        Assert.Equal([4L, 5, 6], gap.Entries.Select(e => e.Offset));
        Assert.Equal(["n4", "n5", "n6"], gap.Entries.Select(e => e.Entry.Id));
        Assert.True(all.Recovered);
        Assert.Equal([1L, 2, 3, 4, 5, 6], all.Entries.Select(e => e.Offset));
    }

    [Fact]
    public async Task ReadSinceAnswersAGapLongerThanTheLimitAsNotRecoveredNeverPartly()
    {
        var store = CreateStore(TestOptions());
        var position = await AppendAsync(store, "user:alice", 10);

        var longer = await store.ReadSinceAsync("user:alice", position with { Offset = 2 }, 7).DefaultTimeout();
        var within = await store.ReadSinceAsync("user:alice", position with { Offset = 2 }, 8).DefaultTimeout();

        Assert.False(longer.Recovered);
        Assert.Empty(longer.Entries);
        Assert.Equal(position, longer.Current);
        Assert.True(within.Recovered);
        Assert.Equal([3L, 4, 5, 6, 7, 8, 9, 10], within.Entries.Select(e => e.Offset));
        Assert.Equal(position, within.Current);
    }

    [Theory]
    [InlineData("other")]
    [InlineData("")]
    [InlineData(null)]
    public async Task ReadSinceInAnotherEpochIsNotRecovered(string? epoch)
    {
        var store = CreateStore(TestOptions());
        var position = await AppendAsync(store, "user:alice", 3);

        var result = await store.ReadSinceAsync("user:alice", new StreamPosition(1, epoch!), 10).DefaultTimeout();

        Assert.False(result.Recovered);
        Assert.Empty(result.Entries);
        Assert.Equal(position, result.Current);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(long.MaxValue)]
    [InlineData(-1)]
    [InlineData(long.MinValue)]
    public async Task ReadSinceAnOffsetTheStreamNeverHadIsNotRecovered(long offset)
    {
        var store = CreateStore(TestOptions());
        var position = await AppendAsync(store, "user:alice", 3);

        var result = await store.ReadSinceAsync("user:alice", position with { Offset = offset }, 10).DefaultTimeout();

        Assert.False(result.Recovered);
        Assert.Empty(result.Entries);
        Assert.Equal(position, result.Current);
    }

    [Fact]
    public async Task ReadSinceIsNotRecoveredOnceTheNextEntryWasTrimmed()
    {
        var store = CreateStore(TestOptions(size: 3));
        var position = await AppendAsync(store, "user:alice", 5);

        var trimmed = await store.ReadSinceAsync("user:alice", position with { Offset = 1 }, 10).DefaultTimeout();
        var retained = await store.ReadSinceAsync("user:alice", position with { Offset = 2 }, 10).DefaultTimeout();

        Assert.False(trimmed.Recovered);
        Assert.Empty(trimmed.Entries);
        Assert.True(retained.Recovered);
        Assert.Equal([3L, 4, 5], retained.Entries.Select(e => e.Offset));
    }

    [Fact]
    public async Task ExpiredEntriesAreNeverServed()
    {
        var store = CreateStore(TestOptions());
        await AppendAsync(store, "user:alice", 1);
        Time.Advance(TimeSpan.FromMinutes(30));
        var position = await AppendAsync(store, "user:alice", 2, firstId: 2);
        Time.Advance(TimeSpan.FromMinutes(40)); // n1 is 70 minutes old, past the 1 h Ttl; n2 and n3 are 40.

        var needsExpired = await store.ReadSinceAsync("user:alice", position with { Offset = 0 }, 10).DefaultTimeout();
        var afterExpired = await store.ReadSinceAsync("user:alice", position with { Offset = 1 }, 10).DefaultTimeout();
        var page = await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout();

        Assert.False(needsExpired.Recovered);
        Assert.Empty(needsExpired.Entries);
        Assert.Equal(position, needsExpired.Current);
        Assert.True(afterExpired.Recovered);
        Assert.Equal([2L, 3], afterExpired.Entries.Select(e => e.Offset));
        Assert.Equal([3L, 2], page.Entries.Select(e => e.Offset));

        Time.Advance(TimeSpan.FromMinutes(30));
        Assert.False((await store.ReadSinceAsync("user:alice", position with { Offset = 1 }, 10).DefaultTimeout()).Recovered);
        Assert.Empty((await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout()).Entries);
    }

    [Fact]
    public async Task ReadBeforePagesBackNewestFirst()
    {
        var store = CreateStore(TestOptions());
        var position = await AppendAsync(store, "user:alice", 7);

        async Task ExpectPage(long? before, int limit, params long[] offsets)
        {
            var page = await store.ReadBeforeAsync("user:alice", before, limit).DefaultTimeout();
            Assert.Equal(position, page.Current);
            Assert.Equal(offsets, page.Entries.Select(e => e.Offset));
        }

        await ExpectPage(null, 3, 7, 6, 5);
        await ExpectPage(5, 3, 4, 3, 2);
        await ExpectPage(2, 3, 1);
        await ExpectPage(1, 3);
        await ExpectPage(long.MinValue, 3);
        await ExpectPage(100, 2, 7, 6);
        await ExpectPage(long.MaxValue, 2, 7, 6);
    }

    [Fact]
    public async Task ReadBeforeServesOnlyRetainedEntries()
    {
        var store = CreateStore(TestOptions(size: 5));
        await AppendAsync(store, "user:alice", 7);

        var newest = await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout();
        var older = await store.ReadBeforeAsync("user:alice", 3, 10).DefaultTimeout();

        Assert.Equal([7L, 6, 5, 4, 3], newest.Entries.Select(e => e.Offset));
        Assert.Empty(older.Entries);
    }
}
