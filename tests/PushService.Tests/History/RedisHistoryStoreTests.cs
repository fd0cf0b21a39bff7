using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.Fanout;
using PushService.History;
using PushService.Protocol;
using PushService.Redis;
using PushService.Tests.Infrastructure;
using StackExchange.Redis;
using StreamPosition = PushService.History.StreamPosition;

namespace PushService.Tests.History;

[Collection(RedisCollection.Name)]
public sealed class RedisHistoryStoreTests(RedisServer redis) : HistoryStoreSpecification
{
    // xunit builds the class once per test: every test gets keys of its own on the shared server.
    private readonly string _prefix = "spec-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<RedisConnection> _connections = [];
    private ConnectionMultiplexer? _admin;

    private protected override IHistoryStore CreateStore(HistoryOptions options) => Create(options, redis.ConnectionString);

    // A multiplexer each, as three nodes would have.
    private protected override IReadOnlyList<IHistoryStore> CreateNodes(HistoryOptions options, int count)
        => Enumerable.Range(0, count).Select(_ => CreateStore(options)).ToList();

    // What a restart without persistence does to this test's keys, done through another connection.
    private protected override async Task LoseHistoryAsync(HistoryOptions options)
    {
        var admin = await AdminAsync();
        var keys = await admin.GetServers()[0].KeysAsync(pattern: _prefix + ":*").ToArrayAsync();
        Assert.NotEmpty(keys);
        await admin.GetDatabase().KeyDeleteAsync(keys);
    }

    public override async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnUnreachableRedisFailsPromptlyAsHistoryUnavailable()
    {
        var store = Create(TestOptions(), $"127.0.0.1:{FreePort.Next()},abortConnect=false,connectTimeout=500");
        var started = Stopwatch.StartNew();

        var append = await Assert.ThrowsAsync<StoreUnavailableException>(
            () => store.AppendAsync("user:alice", Entry("n1", """{"secret":"s3cr3t"}"""))).DefaultTimeout();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetPositionAsync("user:alice")).DefaultTimeout();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadSinceAsync("user:alice", new StreamPosition(0, "e"), 10)).DefaultTimeout();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ReadBeforeAsync("user:alice", null, 10)).DefaultTimeout();

        Assert.Contains("user:alice", append.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", append.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<RedisException>(append.InnerException);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"Took {started.Elapsed}.");
    }

    [Fact]
    public async Task AppendsTrimTheLogExactlyAndSetEveryExpiry()
    {
        var options = TestOptions(size: 3);
        var store = CreateStore(options);
        await AppendAsync(store, "user:alice", 5);
        await store.GetPositionAsync("topic:never-used").DefaultTimeout();

        var db = (await AdminAsync()).GetDatabase();
        var keys = new RedisKeys(_prefix);
        Assert.Equal(3, await db.StreamLengthAsync(keys.StreamLog("user:alice")));
        AssertExpiresIn(options.Ttl, await db.KeyTimeToLiveAsync(keys.StreamLog("user:alice")));
        AssertExpiresIn(options.MetaTtl, await db.KeyTimeToLiveAsync(keys.StreamMeta("user:alice")));
        AssertExpiresIn(options.IdempotencyWindow, await db.KeyTimeToLiveAsync(keys.Idempotency("user:alice", "n1")));
        // A position handed out for a stream nobody publishes to must not stay for ever either.
        AssertExpiresIn(options.MetaTtl, await db.KeyTimeToLiveAsync(keys.StreamMeta("topic:never-used")));
    }

    [Fact]
    public async Task EveryKeyOfAStreamIsInTheStreamsOneClusterSlot()
    {
        var store = CreateStore(TestOptions());
        string[] streams = ["user:a}b{c", "}x", "topic:x*", "{", "broadcast"];
        foreach (var stream in streams)
        {
            await store.AppendAsync(stream, Entry("id}{1")).DefaultTimeout();
        }

        var admin = await AdminAsync();
        var stored = await admin.GetServers()[0].KeysAsync(pattern: _prefix + ":*").ToArrayAsync();
        var keys = new RedisKeys(_prefix);
        Assert.Equal(streams.Length * 3, stored.Length);
        foreach (var stream in streams)
        {
            RedisKey[] ofStream = [keys.StreamMeta(stream), keys.StreamLog(stream), keys.Idempotency(stream, "id}{1")];
            Assert.All(ofStream, key => Assert.Contains(key, stored));
            Assert.Single(ofStream.Select(ClusterSlot).Distinct());
        }
        Assert.Equal(streams.Length, streams.Select(s => ClusterSlot(keys.StreamLog(s))).Distinct().Count());
    }

    [Fact]
    public void ClusterSlotFollowsTheRedisClusterSpecification()
    {
        // Values from CLUSTER KEYSLOT on a cluster.
        Assert.Equal(12182, ClusterSlot("foo"));
        Assert.Equal(ClusterSlot("bar"), ClusterSlot("{bar}:x"));
        Assert.NotEqual(ClusterSlot("{}x:a"), ClusterSlot("{}x:b"));
    }

    [Fact]
    public async Task ARepeatedIdKeepsItsPositionInTheEpochItWasAcceptedIn()
    {
        var store = CreateStore(TestOptions());
        var first = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();
        var keys = new RedisKeys(_prefix);
        // Meta and log gone (their expiry), the id's key still there (a longer window).
        await (await AdminAsync()).GetDatabase().KeyDeleteAsync([keys.StreamMeta("user:alice"), keys.StreamLog("user:alice")]);

        var retry = await store.AppendAsync("user:alice", Entry("n1")).DefaultTimeout();
        var position = await store.GetPositionAsync("user:alice").DefaultTimeout();

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Position, retry.Position);
        Assert.Equal(0, position.Offset);
        Assert.NotEqual(first.Position.Epoch, position.Epoch);
    }

    [Fact]
    public async Task AnAppendWithALivePushPublishesItsPositionInTheSameStepAndARetryItsOriginalOne()
    {
        var store = (IHistoryStore)CreateStore(TestOptions());
        var channel = _prefix + ":live-test";
        var heard = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        var queue = await (await AdminAsync()).GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel));
        queue.OnMessage(m => heard.Writer.TryWrite((byte[])m.Message!));
        var template = new NotificationMessage { Id = "n1", Type = "t", Data = JsonDocument.Parse("[1]").RootElement, User = "alice", Stream = "user:alice" };
        var push = new LivePush(channel, JsonSerializer.SerializeToUtf8Bytes(template, FanoutJsonContext.Default.NotificationMessage));

        var first = await store.AppendAsync("user:alice", Entry("n1"), push).DefaultTimeout();
        var live = RedisFanoutBus.Read(await heard.Reader.ReadAsync().AsTask().DefaultTimeout());
        Assert.True(first.Pushed);
        Assert.Equal((first.Position.Offset, first.Position.Epoch, first.CreatedAt), (live.Offset, live.Epoch, live.CreatedAt));
        Assert.Equal(("n1", "t", "alice", "user:alice", "[1]"), (live.Id, live.Type, live.User, live.Stream, live.Data.GetRawText()));

        await AppendAsync(store, "user:alice", 2, firstId: 2);
        var retry = await store.AppendAsync("user:alice", Entry("n1"), push).DefaultTimeout();
        var again = RedisFanoutBus.Read(await heard.Reader.ReadAsync().AsTask().DefaultTimeout());
        Assert.True(retry.Duplicate);
        Assert.Equal((1L, first.Position.Epoch, first.CreatedAt), (again.Offset, again.Epoch, again.CreatedAt));
    }

    [Fact]
    public async Task ALogLeftWithoutItsMetaIsNotServedInTheNewEpoch()
    {
        var store = CreateStore(TestOptions());
        await AppendAsync(store, "user:alice", 3);
        await (await AdminAsync()).GetDatabase().KeyDeleteAsync(new RedisKeys(_prefix).StreamMeta("user:alice"));

        var appended = await store.AppendAsync("user:alice", Entry("n4")).DefaultTimeout();
        var page = await store.ReadBeforeAsync("user:alice", null, 10).DefaultTimeout();

        Assert.Equal(1, appended.Position.Offset);
        Assert.Equal(["n4"], page.Entries.Select(e => e.Entry.Id));
    }

    // The slot Redis Cluster gives a key: CRC16 (XMODEM) of its hash tag when it has a non-empty
    // one, else of the whole key. A standalone server cannot be asked (CLUSTER KEYSLOT is off).
    private static int ClusterSlot(RedisKey key)
    {
        var bytes = ((byte[])key!).AsSpan();
        var open = bytes.IndexOf((byte)'{');
        if (open >= 0)
        {
            var close = bytes[(open + 1)..].IndexOf((byte)'}');
            if (close > 0)
            {
                bytes = bytes.Slice(open + 1, close);
            }
        }
        ushort crc = 0;
        foreach (var b in bytes)
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }
        return crc & 16383;
    }

    private static void AssertExpiresIn(TimeSpan expected, TimeSpan? actual)
    {
        Assert.NotNull(actual);
        Assert.InRange(actual.Value, expected - TimeSpan.FromMinutes(1), expected);
    }

    private RedisHistoryStore Create(HistoryOptions options, string connectionString)
    {
        var connection = new RedisConnection(
            Options.Create(new PushOptions { Redis = connectionString, RedisPrefix = _prefix }),
            NullLogger<RedisConnection>.Instance);
        _connections.Add(connection);
        return new RedisHistoryStore(connection, Options.Create(options), Time, NullLogger<RedisHistoryStore>.Instance);
    }

    private async Task<ConnectionMultiplexer> AdminAsync()
        => _admin ??= await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
}
