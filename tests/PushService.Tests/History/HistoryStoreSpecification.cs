using System.Text.Json;
using PushService.History;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.History;

/// <summary>
/// The contract of <see cref="IHistoryStore"/> (its doc comment), run against every engine.
/// An engine's test class says how to build a store and how its history gets lost. Reads are
/// in <c>HistoryStoreSpecification.Reads.cs</c>.
/// </summary>
public abstract partial class HistoryStoreSpecification : IAsyncLifetime
{
    protected ManualTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Small numbers, so that trimming and expiry are reached in a few steps.</summary>
    private protected static HistoryOptions TestOptions(int size = 100) => new()
    {
        Size = size,
        Ttl = TimeSpan.FromHours(1),
        MetaTtl = TimeSpan.FromHours(2),
        IdempotencyWindow = TimeSpan.FromHours(3),
    };

    /// <summary>A store on an empty backing store of its own test; the test class disposes it.</summary>
    private protected abstract IHistoryStore CreateStore(HistoryOptions options);

    /// <summary>Stores on the backing store of <see cref="CreateStore"/> as separate nodes would use it.</summary>
    private protected abstract IReadOnlyList<IHistoryStore> CreateNodes(HistoryOptions options, int count);

    /// <summary>What loses every stream's history for this engine (a restart without persistence, idleness).</summary>
    private protected abstract Task LoseHistoryAsync(HistoryOptions options);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public abstract Task DisposeAsync();

    [Fact]
    public async Task ANewStreamIsAtOffsetZeroWithAStableEpochThatItsFirstAppendKeeps()
    {
        var store = CreateStore(TestOptions());

        var first = await store.GetPositionAsync("user:alice").DefaultTimeout();
        var again = await store.GetPositionAsync("user:alice").DefaultTimeout();
        var appended = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();

        Assert.Equal(0, first.Offset);
        Assert.False(string.IsNullOrEmpty(first.Epoch));
        Assert.Equal(first, again);
        Assert.Equal(new StreamPosition(1, first.Epoch), appended.Position);
        Assert.NotEqual(first.Epoch, (await store.GetPositionAsync("user:bob").DefaultTimeout()).Epoch);
    }

    [Fact]
    public async Task ReadsOfANewStreamCreateTheEpochThatLaterCallsKeep()
    {
        var store = CreateStore(TestOptions());

        var unknown = await store.ReadSinceAsync("topic:news", new StreamPosition(0, ""), 10).DefaultTimeout();
        var page = await store.ReadBeforeAsync("topic:news", null, 10).DefaultTimeout();
        var resumed = await store.ReadSinceAsync("topic:news", unknown.Current, 10).DefaultTimeout();

        Assert.False(unknown.Recovered);
        Assert.Equal(0, unknown.Current.Offset);
        Assert.Equal(unknown.Current, page.Current);
        Assert.Empty(page.Entries);
        Assert.True(resumed.Recovered);
        Assert.Empty(resumed.Entries);
        Assert.Equal(unknown.Current, await store.GetPositionAsync("topic:news").DefaultTimeout());
    }

    [Fact]
    public async Task AppendsGetOffsetsFromOneInOrder()
    {
        var store = CreateStore(TestOptions());
        var entries = Enumerable.Range(1, 5).Select(i => Entry($"n{i}")).ToList();

        var results = new List<AppendResult>();
        foreach (var entry in entries)
        {
            results.Add(await store.AppendAsync("user:alice", entry).DefaultTimeout());
        }

        Assert.Equal([1L, 2, 3, 4, 5], results.Select(r => r.Position.Offset));
        Assert.Single(results.Select(r => r.Position.Epoch).Distinct());
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(entries.Select(e => e.CreatedAt), results.Select(r => r.CreatedAt));
        Assert.Equal(results[^1].Position, await store.GetPositionAsync("user:alice").DefaultTimeout());
    }

    [Fact]
    public async Task AppendsStartedWithoutWaitingGetOffsetsInCallOrder()
    {
        var store = CreateStore(TestOptions());
        // Connected first, as on a running node: the order holds from there on.
        await store.GetPositionAsync("user:alice").DefaultTimeout();

        var appends = Enumerable.Range(1, 50).Select(i => store.AppendAsync("user:alice", Entry($"n{i}"))).ToList();
        var results = await Task.WhenAll(appends).DefaultTimeout();

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), results.Select(r => r.Position.Offset));
    }

    /// <summary>Appends per writer in the concurrency test: enough for the writers to overlap.</summary>
    protected virtual int AppendsPerWriter => 200;

    [Fact]
    public async Task ConcurrentAppendersOnSeveralNodesNeitherReuseNorSkipOffsets()
    {
        const int Writers = 8;
        var total = Writers * AppendsPerWriter;
        var nodes = CreateNodes(TestOptions(size: total), 3);
        // Threads of their own released together, so that the writers really overlap.
        using var start = new Barrier(Writers);

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Factory.StartNew(async () =>
        {
            Assert.True(start.SignalAndWait(TaskTimeoutExtensions.DefaultTimeoutSpan));
            var accepted = new List<(string Id, long Offset)>();
            for (var i = 0; i < AppendsPerWriter; i++)
            {
                var result = await nodes[w % nodes.Count].AppendAsync("topic:busy", Entry($"w{w}-{i}"));
                Assert.False(result.Duplicate);
                accepted.Add(($"w{w}-{i}", result.Position.Offset));
            }
            return accepted;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()).ToList();
        var byWriter = await Task.WhenAll(writers).DefaultTimeout(TimeSpan.FromSeconds(60));
        var accepted = byWriter.SelectMany(w => w).ToList();

        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), accepted.Select(a => a.Offset).Order());
        Assert.All(byWriter, w => Assert.Equal(w.Select(a => a.Offset).Order(), w.Select(a => a.Offset)));
        var position = await nodes[1].GetPositionAsync("topic:busy").DefaultTimeout();
        Assert.Equal(total, position.Offset);
        var log = await nodes[2].ReadSinceAsync("topic:busy", position with { Offset = 0 }, total).DefaultTimeout();
        Assert.True(log.Recovered);
        Assert.Equal(accepted.OrderBy(a => a.Offset).Select(a => a.Id), log.Entries.Select(e => e.Entry.Id));
    }

    [Fact]
    public async Task ConcurrentRetriesOfOneIdAreStoredOnce()
    {
        var nodes = CreateNodes(TestOptions(), 3);
        var entry = Entry("same");

        var attempts = Enumerable.Range(0, 12).Select(i => Task.Run(() => nodes[i % nodes.Count].AppendAsync("user:alice", entry))).ToList();
        var results = await Task.WhenAll(attempts).DefaultTimeout();

        Assert.Single(results, r => !r.Duplicate);
        Assert.Single(results.Select(r => r.Position).Distinct());
        Assert.Equal(1, results[0].Position.Offset);
        Assert.Equal(1, (await nodes[0].GetPositionAsync("user:alice").DefaultTimeout()).Offset);
    }

    [Fact]
    public async Task ARepeatedIdReturnsTheOriginalOffsetAndTimeAndAppendsNothing()
    {
        var store = CreateStore(TestOptions());
        var first = await store.AppendAsync("user:alice", Entry("n1", """{"v":1}""")).DefaultTimeout();
        Time.Advance(TimeSpan.FromMinutes(5));
        await store.AppendAsync("user:alice", Entry("n2")).DefaultTimeout();

        var retry = await store.AppendAsync("user:alice", Entry("n1", """{"v":2}""")).DefaultTimeout();

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Position, retry.Position);
        Assert.Equal(first.CreatedAt, retry.CreatedAt);
        Assert.Equal(DateTimeKind.Utc, retry.CreatedAt.Kind);
        var log = await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout();
        Assert.Equal(2, log.Current.Offset);
        Assert.Equal(["n2", "n1"], log.Entries.Select(e => e.Entry.Id));
        Assert.True(JsonElement.DeepEquals(Json("""{"v":1}"""), log.Entries[1].Entry.Data));
    }

    [Fact]
    public async Task ARepeatedIdIsRecognisedAfterItsEntryWasTrimmed()
    {
        var store = CreateStore(TestOptions(size: 2));
        var first = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();
        await store.AppendAsync("user:alice", Entry("n2")).DefaultTimeout();
        await store.AppendAsync("user:alice", Entry("n3")).DefaultTimeout();

        var retry = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Position, retry.Position);
        var log = await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout();
        Assert.Equal(3, log.Current.Offset);
        Assert.Equal([3L, 2], log.Entries.Select(e => e.Offset));
    }

    [Fact]
    public async Task IdsAreCheckedPerStream()
    {
        var store = CreateStore(TestOptions());

        var alice = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();
        var bob = await store.AppendAsync("user:bob", Entry("n1")).DefaultTimeout();

        Assert.False(alice.Duplicate);
        Assert.False(bob.Duplicate);
        Assert.Equal(1, bob.Position.Offset);
    }

    [Fact]
    public async Task TheEpochChangesWhenHistoryIsLost()
    {
        var options = TestOptions();
        var store = CreateStore(options);
        var before = await AppendAsync(store, "user:alice", 3);

        await LoseHistoryAsync(options);
        var after = await store.GetPositionAsync("user:alice").DefaultTimeout();
        var resume = await store.ReadSinceAsync("user:alice", before, 10).DefaultTimeout();
        var appended = await store.AppendAsync("user:alice", Entry("n4")).DefaultTimeout();

        Assert.Equal(0, after.Offset);
        Assert.NotEqual(before.Epoch, after.Epoch);
        Assert.False(resume.Recovered);
        Assert.Equal(after, resume.Current);
        Assert.Equal(new StreamPosition(1, after.Epoch), appended.Position);
        Assert.Equal(["n4"], (await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout()).Entries.Select(e => e.Entry.Id));
    }

    [Fact]
    public async Task StreamsWithOddNamesStaySeparate()
    {
        var store = CreateStore(TestOptions());
        string[] streams = ["user:a}b{c", "user:a}b", "user:a", "user:a{b", "topic:x*", "topic:x", "topic:}", "topic:%7D", "topic:{x}", "broadcast"];

        for (var i = 0; i < streams.Length; i++)
        {
            await AppendAsync(store, streams[i], i + 1, idPrefix: streams[i] + "#");
        }
        // The same text split differently between stream and id is still two entries.
        var left = await store.AppendAsync("user:a}:idem:b", Entry("c")).DefaultTimeout();
        var right = await store.AppendAsync("user:a", Entry("b}:idem:c")).DefaultTimeout();

        var epochs = new HashSet<string>();
        for (var i = 0; i < streams.Length; i++)
        {
            var page = await store.ReadBeforeAsync(streams[i], null, 100).DefaultTimeout();
            var expected = streams[i] == "user:a" ? i + 2 : i + 1;
            Assert.Equal(expected, page.Current.Offset);
            Assert.Equal(expected, page.Entries.Count);
            Assert.All(page.Entries.Where(e => e.Offset <= i + 1), e => Assert.StartsWith(streams[i] + "#", e.Entry.Id, StringComparison.Ordinal));
            epochs.Add(page.Current.Epoch);
        }
        Assert.Equal(streams.Length, epochs.Count);
        Assert.False(left.Duplicate);
        Assert.False(right.Duplicate);
    }

    [Fact]
    public async Task DataAndCreationTimeComeBackAsStored()
    {
        var store = CreateStore(TestOptions());
        var createdAt = Time.GetUtcNow().UtcDateTime.AddTicks(1_234_567);
        var values = new[] { """{"text":"h\u00e9llo \"q\" <b>","n":1.50,"list":[1,{"deep":null}],"empty":{}}""", "null", "\"plain\"", "-42", "[]", "true" };
        foreach (var (value, i) in values.Select((v, i) => (v, i)))
        {
            await store.AppendAsync("user:alice", new HistoryEntry($"n{i}", "type.x", Json(value), createdAt)).DefaultTimeout();
        }
        await store.AppendAsync("user:alice", new HistoryEntry("missing", "type.y", default, createdAt)).DefaultTimeout();

        var all = await store.ReadSinceAsync("user:alice", (await store.GetPositionAsync("user:alice").DefaultTimeout()) with { Offset = 0 }, 100).DefaultTimeout();

        Assert.True(all.Recovered);
        for (var i = 0; i < values.Length; i++)
        {
            var stored = all.Entries[i].Entry;
            Assert.Equal(($"n{i}", "type.x", createdAt, DateTimeKind.Utc), (stored.Id, stored.Type, stored.CreatedAt, stored.CreatedAt.Kind));
            Assert.True(JsonElement.DeepEquals(Json(values[i]), stored.Data), $"{values[i]} came back as {stored.Data.GetRawText()}");
        }
        Assert.Equal("1.50", all.Entries[0].Entry.Data.GetProperty("n").GetRawText());
        Assert.Equal(JsonValueKind.Null, all.Entries[^1].Entry.Data.ValueKind);
    }

    [Fact]
    public async Task BadArgumentsAreRefused()
    {
        var store = CreateStore(TestOptions());
        var position = await store.GetPositionAsync("user:alice").DefaultTimeout();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ReadSinceAsync("user:alice", position, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ReadBeforeAsync("user:alice", null, 0));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AppendAsync("", Entry("n1")));
        await Assert.ThrowsAsync<ArgumentException>(() => store.GetPositionAsync(""));
    }

    private protected HistoryEntry Entry(string id, string data = """{"k":"v"}""") => new(id, "test.event", Json(data), Time.GetUtcNow().UtcDateTime);

    private protected static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>Appends entries "n{firstId}"… one after another; returns the stream's position after the last.</summary>
    private protected async Task<StreamPosition> AppendAsync(IHistoryStore store, string stream, int count, int firstId = 1, string idPrefix = "n")
    {
        AppendResult? last = null;
        for (var i = 0; i < count; i++)
        {
            last = await store.AppendAsync(stream, Entry($"{idPrefix}{firstId + i}")).DefaultTimeout();
        }
        return last!.Position;
    }
}
