using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.ScaleOut;

/// <summary>
/// Three nodes sharing one real redis-server: a publish on any node reaches the right
/// connections on every node, over each transport and both hub protocols.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisScaleOutTests(RedisServer redis) : IAsyncLifetime
{
    private readonly List<PushNode> _nodes = [];

    public async Task InitializeAsync()
    {
        // A prefix per test class instance keeps tests on the shared server apart.
        var prefix = "test-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++)
        {
            _nodes.Add(await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, prefix)));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    public static TheoryData<HttpTransportType, bool> Transports => new()
    {
        { HttpTransportType.WebSockets, false },
        { HttpTransportType.ServerSentEvents, false },
        { HttpTransportType.LongPolling, false },
        { HttpTransportType.WebSockets, true },
        { HttpTransportType.LongPolling, true },
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task PublishOnOneNodeReachesUsersTopicsAndEveryoneOnAllNodes(HttpTransportType transport, bool messagePack)
    {
        var (node1, node2, node3) = (_nodes[0], _nodes[1], _nodes[2]);
        await using var aliceOn2 = await OfficialClient.ConnectAsync(node2, TestTokens.For("alice", "news"), transport, messagePack);
        await using var aliceOn3 = await OfficialClient.ConnectAsync(node3, TestTokens.For("alice", "news"), transport, messagePack);
        await using var bobOn1 = await OfficialClient.ConnectAsync(node1, TestTokens.For("bob", "news"), transport, messagePack);
        await using var carolOn3 = await OfficialClient.ConnectAsync(node3, TestTokens.For("carol"), transport, messagePack);
        await aliceOn2.SubscribeAsync("news");
        await bobOn1.SubscribeAsync("news");
        using var publisher = node1.CreatePublisherClient();

        var toAlice = await publisher.PublishAsync(new { type = "email.new", users = new[] { "alice" }, data = new { n = 1 } });
        Assert.Equal("alice", (await aliceOn2.WaitForAsync(toAlice)).User);
        Assert.Equal("alice", (await aliceOn3.WaitForAsync(toAlice)).User);

        var news = await publisher.PublishAsync(new { type = "news.posted", topics = new[] { "news" } });
        Assert.Equal("news", (await aliceOn2.WaitForAsync(news)).Topic);
        Assert.Equal("news", (await bobOn1.WaitForAsync(news)).Topic);

        var everyone = await publisher.PublishAsync(new { type = "maintenance", broadcast = true });
        foreach (var (name, client) in new[] { ("alice on node 2", aliceOn2), ("alice on node 3", aliceOn3), ("bob on node 1", bobOn1), ("carol on node 3", carolOn3) })
        {
            var received = await client.WaitForAsync(everyone).WaitAsync(TimeSpan.FromSeconds(20))
                .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : throw new TimeoutException($"The broadcast did not reach {name} ({client.Connection.State}).", t.Exception), TaskScheduler.Default);
            Assert.True(received.Broadcast);
        }

        // Nobody else's user stream, and no topic not joined: the broadcast came after both.
        Assert.DoesNotContain(bobOn1.Received.Items, n => n.Id == toAlice);
        Assert.DoesNotContain(carolOn3.Received.Items, n => n.Id == toAlice || n.Id == news);
        Assert.DoesNotContain(aliceOn3.Received.Items, n => n.Id == news);
    }

    [Fact]
    public async Task TopicsThatDifferOnlyInCaseAreJoinedAndLeftSeparately()
    {
        // Topics are exact, but SignalR's Redis backplane tracks a connection's groups ignoring case.
        await using var client = await OfficialClient.ConnectAsync(_nodes[0], TestTokens.For("nora", "news", "News"));
        await client.SubscribeAsync("news");
        await client.SubscribeAsync("News");
        using var publisher = _nodes[1].CreatePublisherClient();

        var upper = await publisher.PublishAsync(new { type = "t", topics = new[] { "News" } });
        Assert.Equal("News", (await client.WaitForAsync(upper)).Topic);

        await client.UnsubscribeAsync("News");
        var upperAgain = await publisher.PublishAsync(new { type = "t", topics = new[] { "News" } });
        var lower = await publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        Assert.Equal("news", (await client.WaitForAsync(lower)).Topic);
        Assert.DoesNotContain(client.Received.Items, n => n.Id == upperAgain);
    }

    [Fact]
    public async Task PublishesFromEveryNodeReachAUserOnEveryNode()
    {
        var clients = new List<OfficialClient>();
        try
        {
            foreach (var node in _nodes)
            {
                clients.Add(await OfficialClient.ConnectAsync(node, TestTokens.For("dana")));
            }
            foreach (var node in _nodes)
            {
                using var publisher = node.CreatePublisherClient();
                var id = await publisher.PublishAsync(new { type = "t", users = new[] { "dana" } });
                foreach (var client in clients)
                {
                    await client.WaitForAsync(id);
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(PushProtocol.Json)]
    [InlineData(PushProtocol.MessagePack)]
    public async Task OurSdkOnAnotherNodeReceivesWhatTheSdkPublisherSends(PushProtocol protocol)
    {
        await using var client = new PushClient(new PushClientOptions
        {
            Url = _nodes[2].Url,
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For("gus", "orders:*")),
            Protocol = protocol,
        });
        var inbox = new Inbox<Notification>();
        using var _ = client.OnAny(n => { inbox.Add(n); return Task.CompletedTask; });
        await client.StartAsync().DefaultTimeout();
        await client.SubscribeAsync("orders:42").DefaultTimeout();
        using var http = new HttpClient { BaseAddress = _nodes[0].Url };
        var publisher = new PushPublisher(http, new PushPublisherOptions { BaseAddress = _nodes[0].Url, ApiKey = PushNode.ApiKey });

        var direct = await publisher.PublishAsync(new PublishRequest("order.shipped") { Users = ["gus"], Data = new { Order = 42 } }).DefaultTimeout();
        var topic = await publisher.PublishAsync(new PublishRequest("order.updated") { Topics = ["orders:42"] }).DefaultTimeout();

        Assert.Equal(42, (await inbox.WaitForAsync(n => n.Id == direct.Id)).Data.GetProperty("order").GetInt32());
        Assert.Equal("orders:42", (await inbox.WaitForAsync(n => n.Id == topic.Id)).Topic);
    }

    [Fact]
    public async Task UnauthorisedTopicIsRefusedOnEveryNode()
    {
        foreach (var node in _nodes)
        {
            await using var client = await OfficialClient.ConnectAsync(node, TestTokens.For("eve", "stock:*"));
            var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("news"));
            Assert.Contains("forbidden:", error.Message, StringComparison.Ordinal);
            await client.SubscribeAsync("stock:ACME");
        }
    }
}
