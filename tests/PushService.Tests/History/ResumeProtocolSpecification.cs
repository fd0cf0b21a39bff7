using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using PushService.Protocol;
using PushService.Tests.Infrastructure;
using static PushService.Tests.Infrastructure.HubSession;

namespace PushService.Tests.History;

/// <summary>
/// The server side of "nothing lost", checked on the wire with the official client for each
/// engine: positions on every push, Subscribe's position, Resume's answers (including centrifuge's
/// recovery edge cases), History, and idempotent publish. Publishes go to <see cref="PublishNode"/>,
/// subscribers to <see cref="SubscribeNode"/>, so with Redis every answer crosses nodes.
/// </summary>
public abstract class ResumeProtocolSpecification : IAsyncLifetime
{
    // Unique names per test: streams outlive a test on a shared Redis.
    private readonly string _alice = "alice-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _topic = "news-" + Guid.NewGuid().ToString("N")[..8];
    private HttpClient _publisher = null!;

    protected abstract Task<(PushNode Publish, PushNode Subscribe)> StartNodesAsync(Dictionary<string, string?> extraSettings);

    protected abstract Task StopNodesAsync();

    protected PushNode PublishNode { get; private set; } = null!;

    protected PushNode SubscribeNode { get; private set; } = null!;

    private string UserStream => "user:" + _alice;

    private string TopicStream => "topic:" + _topic;

    public async Task InitializeAsync()
    {
        (PublishNode, SubscribeNode) = await StartNodesAsync(new() { ["Push:History:Size"] = "5" });
        _publisher = PublishNode.CreatePublisherClient();
    }

    public async Task DisposeAsync()
    {
        _publisher.Dispose();
        await StopNodesAsync();
    }

    private Task<OfficialClient> ConnectAsync(params string[] topics) => OfficialClient.ConnectAsync(SubscribeNode, TestTokens.For(_alice, topics));

    private Task<string> PublishToAliceAsync(object? data = null, string? id = null)
        => _publisher.PublishAsync(new { type = "t", users = new[] { _alice }, data, id });

    [Fact]
    public async Task EveryPushCarriesItsStreamOffsetAndEpoch()
    {
        await using var client = await ConnectAsync(_topic);
        await client.SubscribeAsync(_topic);

        var first = await client.WaitForAsync(await PublishToAliceAsync());
        var second = await client.WaitForAsync(await PublishToAliceAsync());
        var onTopic = await client.WaitForAsync(await _publisher.PublishAsync(new { type = "t", topics = new[] { _topic } }));

        Assert.Equal((UserStream, 1L, 2L), (first.Stream, first.Offset, second.Offset));
        Assert.False(string.IsNullOrEmpty(first.Epoch));
        Assert.Equal(first.Epoch, second.Epoch);
        Assert.Equal((TopicStream, 1L), (onTopic.Stream, onTopic.Offset));
    }

    [Fact]
    public async Task SubscribeAnswersThePositionAfterWhichEverythingArrives()
    {
        await _publisher.PublishAsync(new { type = "t", topics = new[] { _topic } });
        await _publisher.PublishAsync(new { type = "t", topics = new[] { _topic } });
        await using var client = await ConnectAsync(_topic);

        var position = await client.SubscribeAtAsync(_topic);
        var next = await client.WaitForAsync(await _publisher.PublishAsync(new { type = "t", topics = new[] { _topic } }));

        Assert.Equal((TopicStream, 2L), (position.Stream, position.Offset));
        Assert.Equal((3L, position.Epoch), (next.Offset, next.Epoch));
    }

    [Fact]
    public async Task ResumeAlwaysAnswersForTheOwnStreamAndBroadcast()
    {
        await using var client = await ConnectAsync();

        var result = await client.ResumeAsync();

        Assert.Equal(_alice, result.User);
        Assert.Equal([StreamIdsBroadcast, UserStream], result.Streams.Select(s => s.Stream).Order());
        Assert.All(result.Streams, s => Assert.True(s.Recovered));
        Assert.All(result.Streams, s => Assert.False(string.IsNullOrEmpty(s.Epoch)));
    }

    private const string StreamIdsBroadcast = "broadcast";

    [Fact]
    public async Task MissedNotificationsComeBackInOrderAfterAReconnect()
    {
        string epoch;
        await using (var before = await ConnectAsync())
        {
            epoch = (await before.WaitForAsync(await PublishToAliceAsync(data: 1))).Epoch;
        }
        var missed = new List<string>();
        for (var i = 2; i <= 4; i++)
        {
            missed.Add(await PublishToAliceAsync(data: i));
        }

        await using var after = await ConnectAsync();
        var recovery = (await after.ResumeAsync(At(UserStream, 1, epoch))).For(UserStream);

        Assert.True(recovery.Recovered);
        Assert.Equal(missed, recovery.Notifications.Select(n => n.Id));
        Assert.Equal([2L, 3L, 4L], recovery.Notifications.Select(n => n.Offset));
        Assert.Equal([2, 3, 4], recovery.Notifications.Select(n => n.Data.GetInt32()));
        Assert.All(recovery.Notifications, n => Assert.Equal(_alice, n.User));
        Assert.Equal((4L, epoch), (recovery.Offset, recovery.Epoch));
    }

    [Fact]
    public async Task SameOffsetRecoversNothingMissing()
    {
        await using var client = await ConnectAsync();
        var epoch = (await client.WaitForAsync(await PublishToAliceAsync())).Epoch;

        var recovery = (await client.ResumeAsync(At(UserStream, 1, epoch))).For(UserStream);

        Assert.True(recovery.Recovered);
        Assert.Empty(recovery.Notifications);
    }

    [Theory]
    [InlineData(5, null)]           // future offset
    [InlineData(1, "stale-epoch")]  // stream history lost since
    public async Task FutureOffsetOrStaleEpochIsNotRecovered(long offset, string? epoch)
    {
        await using var client = await ConnectAsync();
        var current = (await client.WaitForAsync(await PublishToAliceAsync())).Epoch;
        await client.WaitForAsync(await PublishToAliceAsync());

        var recovery = (await client.ResumeAsync(At(UserStream, offset, epoch ?? current))).For(UserStream);

        Assert.False(recovery.Recovered);
        Assert.Empty(recovery.Notifications);
        Assert.Equal((2L, current), (recovery.Offset, recovery.Epoch));
    }

    [Fact]
    public async Task TrimmedStreamIsNotRecoveredButAGapWithinRetentionIs()
    {
        await using var client = await ConnectAsync();
        string epoch = "";
        for (var i = 0; i < 8; i++)
        {
            epoch = (await client.WaitForAsync(await PublishToAliceAsync(data: i))).Epoch;
        }

        // Size is 5: offsets 4..8 are kept, so resuming after 2 would need 3, which is gone.
        var trimmed = (await client.ResumeAsync(At(UserStream, 2, epoch))).For(UserStream);
        var kept = (await client.ResumeAsync(At(UserStream, 3, epoch))).For(UserStream);

        Assert.False(trimmed.Recovered);
        Assert.True(kept.Recovered);
        Assert.Equal([4L, 5L, 6L, 7L, 8L], kept.Notifications.Select(n => n.Offset));
    }

    [Fact]
    public async Task StreamsTheTokenDoesNotAllowAreRefusedPerStreamAndTheRestAnswers()
    {
        await using var client = await ConnectAsync("stock:*");

        var result = await client.ResumeAsync(
            At("user:someone-else", 0, ""), At("topic:secret", 0, ""), At("not-a-stream", 0, ""), At("topic:stock:ACME", 0, ""));

        Assert.Equal("forbidden", result.For("user:someone-else").Error);
        Assert.Equal("forbidden", result.For("topic:secret").Error);
        Assert.Equal("invalid_stream", result.For("not-a-stream").Error);
        Assert.Null(result.For("topic:stock:ACME").Error);
        Assert.Null(result.For(UserStream).Error);
        // The allowed topic was joined by Resume: live publishes arrive.
        var id = await _publisher.PublishAsync(new { type = "t", topics = new[] { "stock:ACME" } });
        Assert.Equal("topic:stock:ACME", (await client.WaitForAsync(id)).Stream);
    }

    [Fact]
    public async Task HistoryPagesBackNewestFirstForReadableStreamsOnly()
    {
        await using var client = await ConnectAsync();
        for (var i = 1; i <= 4; i++)
        {
            await client.WaitForAsync(await PublishToAliceAsync(data: i));
        }

        var newest = await client.HistoryAsync(UserStream, before: null, limit: 3);
        var older = await client.HistoryAsync(UserStream, before: newest.Notifications[^1].Offset, limit: 3);

        Assert.Equal([4L, 3L, 2L], newest.Notifications.Select(n => n.Offset));
        Assert.Equal([1L], older.Notifications.Select(n => n.Offset));
        Assert.Equal(4L, newest.Offset);
        var forbidden = await Assert.ThrowsAsync<HubException>(() => client.HistoryAsync("user:someone-else", null, 10));
        Assert.Contains("forbidden:", forbidden.Message, StringComparison.Ordinal);
        var invalid = await Assert.ThrowsAsync<HubException>(() => client.HistoryAsync(UserStream, null, 0));
        Assert.Contains("invalid_stream:", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackendsReadAUsersHistoryOverRest()
    {
        for (var i = 1; i <= 3; i++)
        {
            await PublishToAliceAsync(data: i);
        }

        var page = await _publisher.GetFromJsonAsync<JsonElement>($"/api/v1/users/{_alice}/notifications?limit=2").DefaultTimeout();
        using var anonymous = SubscribeNode.CreatePublisherClient(apiKey: null);
        using var unauthorised = await anonymous.GetAsync($"/api/v1/users/{_alice}/notifications").DefaultTimeout();
        using var badLimit = await _publisher.GetAsync($"/api/v1/users/{_alice}/notifications?limit=1000").DefaultTimeout();

        Assert.Equal(UserStream, page.GetProperty("stream").GetString());
        Assert.Equal([3, 2], page.GetProperty("notifications").EnumerateArray().Select(n => n.GetProperty("data").GetInt32()));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.StatusCode);
    }

    [Fact]
    public async Task ARepeatedIdIsStoredOnceAndPushedAgainAtItsOriginalPosition()
    {
        await using var client = await ConnectAsync();
        var body = new { type = "order.paid", users = new[] { _alice }, id = "order-1:paid" };

        using var first = await _publisher.PostAsJsonAsync("/api/v1/notifications", body).DefaultTimeout();
        using var retry = await _publisher.PostAsJsonAsync("/api/v1/notifications", body).DefaultTimeout();
        var sentinel = await PublishToAliceAsync();
        await client.WaitForAsync(sentinel);

        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        // The retry's push repeats the first one's position, so clients drop it by offset.
        var copies = client.Received.Items.Where(n => n.Id == "order-1:paid").ToList();
        Assert.Equal(2, copies.Count);
        Assert.Equal(copies[0].Offset, copies[1].Offset);
        Assert.Equal(copies[0].CreatedAt, copies[1].CreatedAt);
        var history = await client.HistoryAsync(UserStream, null, 10);
        Assert.Equal(["order-1:paid", sentinel], history.Notifications.Select(n => n.Id).Reverse());
    }

    [Fact]
    public async Task BatchesAreIdempotentPerItem()
    {
        await using var client = await ConnectAsync();
        var (_, firstBody, _) = await _publisher.PostRawAsync("/api/v1/notifications/batch", PublishHelpers.Json(
            $$"""[{"type":"t","users":["{{_alice}}"],"id":"a"},{"type":"t","users":["{{_alice}}"],"id":"b"}]"""));
        var (status, secondBody, _) = await _publisher.PostRawAsync("/api/v1/notifications/batch", PublishHelpers.Json(
            $$"""[{"type":"t","users":["{{_alice}}"],"id":"a"},{"type":"t","users":["{{_alice}}"],"id":"c"}]"""));
        await client.WaitForAsync("c");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(firstBody.GetProperty("items")[0].ToString(), secondBody.GetProperty("items")[0].ToString());
        var history = await client.HistoryAsync(UserStream, null, 10);
        Assert.Equal(["a", "b", "c"], history.Notifications.Select(n => n.Id).Reverse());
        Assert.Single(client.Received.Items.Where(n => n.Id == "a").Select(n => n.Offset).Distinct());
    }
}

/// <summary>The memory engine: one node.</summary>
public sealed class MemoryResumeProtocolTests : ResumeProtocolSpecification
{
    private PushNode? _node;

    protected override async Task<(PushNode Publish, PushNode Subscribe)> StartNodesAsync(Dictionary<string, string?> extraSettings)
    {
        var settings = PushNode.DefaultSettings();
        foreach (var (key, value) in extraSettings)
        {
            settings[key] = value;
        }
        _node = await PushNode.StartAsync(settings);
        return (_node, _node);
    }

    protected override async Task StopNodesAsync() => await _node!.DisposeAsync();
}

/// <summary>The Redis engine: publish on one node, subscribe on another.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisResumeProtocolTests(RedisServer redis) : ResumeProtocolSpecification
{
    private readonly List<PushNode> _nodes = [];

    private readonly string _prefix = "resume-" + Guid.NewGuid().ToString("N")[..8];

    protected override async Task<(PushNode Publish, PushNode Subscribe)> StartNodesAsync(Dictionary<string, string?> extraSettings)
    {
        for (var i = 0; i < 2; i++)
        {
            var settings = PushNode.DefaultSettings(redis.ConnectionString, _prefix);
            foreach (var (key, value) in extraSettings)
            {
                settings[key] = value;
            }
            _nodes.Add(await PushNode.StartAsync(settings));
        }
        return (_nodes[0], _nodes[1]);
    }

    [Fact]
    public async Task AGapLargerThanThisNodeServesIsNotRecoveredRatherThanPartly()
    {
        // Mid-rollout of a smaller Push:History:Size: another node keeps 50 per stream, this one
        // (SubscribeNode) serves at most 5. Ten missed are still stored, but an answer with five
        // of them must not claim to be the whole gap.
        var settings = PushNode.DefaultSettings(redis.ConnectionString, _prefix);
        settings["Push:History:Size"] = "50";
        await using var larger = await PushNode.StartAsync(settings);
        using var publisher = larger.CreatePublisherClient();
        var user = "carol-" + Guid.NewGuid().ToString("N")[..8];
        await using var client = await OfficialClient.ConnectAsync(SubscribeNode, TestTokens.For(user));
        var epoch = (await client.WaitForAsync(await publisher.PublishAsync(new { type = "t", users = new[] { user } }))).Epoch;
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync(new { type = "t", users = new[] { user } });
        }

        var recovery = (await client.ResumeAsync(HubSession.At("user:" + user, 1, epoch))).For("user:" + user);

        Assert.False(recovery.Recovered);
        Assert.Empty(recovery.Notifications);
        Assert.Equal((11L, epoch), (recovery.Offset, recovery.Epoch));
    }

    protected override async Task StopNodesAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
