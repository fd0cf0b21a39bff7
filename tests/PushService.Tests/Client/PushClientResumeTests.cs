using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Client;

/// <summary>
/// The SDK's half of "nothing lost", end to end against real nodes sharing a real Redis:
/// what is published while a client is away arrives once, in order, after it comes back.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PushClientResumeTests(RedisServer redis) : IAsyncLifetime
{
    private readonly string _prefix = "sdk-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _user = "ruth-" + Guid.NewGuid().ToString("N")[..6];
    private PushNode _publishNode = null!;
    private PushNode _subscribeNode = null!;
    private HttpClient _publisher = null!;

    public async Task InitializeAsync()
    {
        _publishNode = await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, _prefix));
        _subscribeNode = await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, _prefix));
        _publisher = _publishNode.CreatePublisherClient();
    }

    public async Task DisposeAsync()
    {
        _publisher.Dispose();
        await _subscribeNode.DisposeAsync();
        await _publishNode.DisposeAsync();
    }

    private PushClient Client(PushProtocol protocol = PushProtocol.Json, IReadOnlyDictionary<string, StreamPosition>? positions = null) => new(new PushClientOptions
    {
        Url = _subscribeNode.Url,
        AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For(_user, "room:*")),
        Protocol = protocol,
        InitialPositions = positions,
    });

    private async Task<List<string>> PublishAsync(int count, string? topic = null)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(topic is null
                ? await _publisher.PublishAsync(new { type = "t", users = new[] { _user }, data = i })
                : await _publisher.PublishAsync(new { type = "t", topics = new[] { topic }, data = i }));
        }
        return ids;
    }

    [Theory]
    [InlineData(PushProtocol.Json)]
    [InlineData(PushProtocol.MessagePack)]
    public async Task AClientThatWasDownGetsWhatItMissedOnceAndInOrder(PushProtocol protocol)
    {
        IReadOnlyDictionary<string, StreamPosition> saved;
        var seen = new Inbox<Notification>();
        await using (var client = Client(protocol))
        {
            using var _ = client.OnAny(seen.Add);
            await client.StartAsync().DefaultTimeout();
            await client.SubscribeAsync("room:1").DefaultTimeout();
            var before = await PublishAsync(3);
            before.AddRange(await PublishAsync(2, "room:1"));
            await seen.WaitForAsync(n => n.Id == before[^1]);
            await seen.WaitForAsync(n => n.Id == before[2]);
            saved = client.Positions;
        }

        // Published while the app was not running at all.
        var missedOnUser = await PublishAsync(4);
        var missedOnTopic = await PublishAsync(3, "room:1");

        var after = new Inbox<Notification>();
        await using var restarted = Client(protocol, saved);
        using var __ = restarted.OnAny(after.Add);
        await restarted.SubscribeAsync("room:1").DefaultTimeout();
        await restarted.StartAsync().DefaultTimeout();
        var live = await PublishAsync(1);
        await after.WaitForAsync(n => n.Id == live[0]);
        await after.WaitForAsync(n => n.Id == missedOnTopic[^1]);

        var userStream = after.Items.Where(n => n.Stream == "user:" + _user).Select(n => n.Id).ToList();
        var topicStream = after.Items.Where(n => n.Stream == "topic:room:1").Select(n => n.Id).ToList();
        Assert.Equal([.. missedOnUser, .. live], userStream);
        Assert.Equal(missedOnTopic, topicStream);
        Assert.Equal([4L, 5L, 6L, 7L, 8L], after.Items.Where(n => n.Stream == "user:" + _user).Select(n => n.Offset));
    }

    [Fact]
    public async Task AReconnectToAnotherNodeResumesWithoutGapsOrDuplicates()
    {
        var seen = new Inbox<Notification>();
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var url = _subscribeNode.Url;
        await using var client = Client();
        using var _ = client.OnAny(seen.Add);
        client.Reconnected += _ => { reconnected.TrySetResult(); return Task.CompletedTask; };
        await client.StartAsync().DefaultTimeout();
        var first = await PublishAsync(2);
        await seen.WaitForAsync(n => n.Id == first[^1]);

        // The node goes away; while the client retries, more is published on the other node;
        // a new process takes its address (as behind a load balancer).
        await _subscribeNode.DisposeAsync();
        var whileAway = await PublishAsync(5);
        _subscribeNode = await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, _prefix), url: url);
        await reconnected.Task.DefaultTimeout(TimeSpan.FromSeconds(30));
        var after = await PublishAsync(2);
        await seen.WaitForAsync(n => n.Id == after[^1]);

        Assert.Equal([.. first, .. whileAway, .. after], seen.Items.Select(n => n.Id));
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), seen.Items.Select(n => n.Offset));
    }

    [Fact]
    public async Task AnInboxPagesBackThroughTheUsersOwnStream()
    {
        var ids = await PublishAsync(5);
        await using var client = Client(PushProtocol.MessagePack);
        await client.StartAsync().DefaultTimeout();

        var page = await client.GetHistoryAsync("user:" + _user, limit: 3).DefaultTimeout();
        var older = await client.GetHistoryAsync("user:" + _user, before: page.Notifications[^1].Offset, limit: 3).DefaultTimeout();

        Assert.Equal(ids[2..].AsEnumerable().Reverse(), page.Notifications.Select(n => n.Id));
        Assert.Equal(ids[..2].AsEnumerable().Reverse(), older.Notifications.Select(n => n.Id));
        var refused = await Assert.ThrowsAsync<PushHubException>(() => client.GetHistoryAsync("user:somebody-else"));
        Assert.Equal(PushSubscriptionErrorCodes.Forbidden, refused.Code);
    }
}
