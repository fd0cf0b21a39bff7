using Microsoft.Extensions.Options;
using PushService.History;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.History;

public sealed class MemoryHistoryStoreTests : HistoryStoreSpecification
{
    private readonly List<MemoryHistoryStore> _stores = [];

    // Appends in memory take a microsecond: many more are needed before the writers overlap.
    protected override int AppendsPerWriter => 5_000;

    private protected override IHistoryStore CreateStore(HistoryOptions options) => Create(options);

    // One process holds one store: "nodes" are concurrent callers of the same instance.
    private protected override IReadOnlyList<IHistoryStore> CreateNodes(HistoryOptions options, int count)
        => Enumerable.Repeat<IHistoryStore>(Create(options), count).ToList();

    // In memory, history is lost when a stream stays idle past MetaTtl.
    private protected override Task LoseHistoryAsync(HistoryOptions options)
    {
        Time.Advance(options.MetaTtl);
        return Task.CompletedTask;
    }

    public override Task DisposeAsync()
    {
        _stores.ForEach(s => s.Dispose());
        return Task.CompletedTask;
    }

    [Fact]
    public async Task WhatHasEndedIsForgottenSoMemoryFollowsTime()
    {
        var store = Create(TestOptions()); // Ttl 1 h, MetaTtl 2 h, IdempotencyWindow 3 h
        await AppendAsync(store, "user:alice", 2);
        await store.GetPositionAsync("topic:quiet").DefaultTimeout();
        Assert.Equal((2, 2, 2), store.Footprint());

        Time.Advance(TimeSpan.FromHours(1));
        store.Sweep();
        Assert.Equal((2, 0, 2), store.Footprint());

        Time.Advance(TimeSpan.FromHours(1));
        store.Sweep();
        Assert.Equal((1, 0, 2), store.Footprint()); // the ids still count for their window

        Time.Advance(TimeSpan.FromHours(1));
        store.Sweep();
        Assert.Equal((0, 0, 0), store.Footprint());
    }

    [Fact]
    public async Task AnIdIsAcceptedAgainAfterItsWindow()
    {
        var options = TestOptions();
        options.IdempotencyWindow = TimeSpan.FromMinutes(30);
        var store = Create(options);
        await AppendAsync(store, "user:alice", 1);

        Time.Advance(TimeSpan.FromMinutes(29));
        var retry = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();
        Time.Advance(TimeSpan.FromMinutes(1));
        var again = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();

        Assert.True(retry.Duplicate);
        Assert.False(again.Duplicate);
        Assert.Equal(2, again.Position.Offset);
        Assert.Equal(1, store.Footprint().IdempotencyRecords);
    }

    [Fact]
    public async Task ARepeatedIdKeepsItsPositionInTheEpochItWasAcceptedIn()
    {
        var store = Create(TestOptions());
        var first = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();

        Time.Advance(TimeSpan.FromHours(2)); // past MetaTtl, within the 3 h window
        var retry = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();
        var position = await store.GetPositionAsync("user:alice").DefaultTimeout();

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Position, retry.Position);
        Assert.Equal(0, position.Offset);
        Assert.NotEqual(first.Position.Epoch, position.Epoch);
    }

    [Fact]
    public async Task ReadsDoNotKeepAStreamAlive()
    {
        var store = Create(TestOptions());
        var position = await AppendAsync(store, "user:alice", 1);

        Time.Advance(TimeSpan.FromMinutes(119));
        await store.GetPositionAsync("user:alice").DefaultTimeout();
        await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout();
        Time.Advance(TimeSpan.FromMinutes(1));

        Assert.NotEqual(position.Epoch, (await store.GetPositionAsync("user:alice").DefaultTimeout()).Epoch);
    }

    [Fact]
    public async Task StoredDataOutlivesTheCallersDocument()
    {
        var store = Create(TestOptions());
        using (var document = System.Text.Json.JsonDocument.Parse("""{"big":"value"}"""))
        {
            await store.AppendAsync("user:alice", new HistoryEntry("n1", "t", document.RootElement, Time.GetUtcNow().UtcDateTime)).DefaultTimeout();
        }

        var page = await store.ReadBeforeAsync("user:alice", null, 1).DefaultTimeout();

        Assert.Equal("value", page.Entries[0].Entry.Data.GetProperty("big").GetString());
    }

    private MemoryHistoryStore Create(HistoryOptions options)
    {
        var store = new MemoryHistoryStore(Options.Create(options), Time);
        _stores.Add(store);
        return store;
    }
}
