using System.Net;
using System.Text.Json;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Delivery;

/// <summary>
/// Topic and broadcast notifications are written to each connection in batches: a burst must
/// still reach every member exactly once, each stream in offset order, beside the user stream
/// that takes SignalR's own path — on one in-memory node and across nodes sharing Redis.
/// The official client is used on purpose: it does not reorder, so the order seen is the server's.
/// </summary>
public abstract class FanoutOrderSpecification : IAsyncLifetime
{
    private const int Items = 400;

    /// <summary>The nodes the subscribers connect to (the same one twice on a single node); the publisher uses the first.</summary>
    protected abstract Task<(PushNode First, PushNode Second)> StartNodesAsync();

    private readonly List<PushNode> _nodes = [];

    public async Task InitializeAsync()
    {
        var (first, second) = await StartNodesAsync();
        _nodes.Add(first);
        if (second != first)
        {
            _nodes.Add(second);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task ABurstReachesEveryMemberOnceAndInOrderPerStream()
    {
        var (first, second) = (_nodes[0], _nodes[^1]);
        await using var xavier = await OfficialClient.ConnectAsync(first, TestTokens.For("xavier", "a", "b"), messagePack: true);
        await using var yolanda = await OfficialClient.ConnectAsync(second, TestTokens.For("yolanda", "a", "b"));
        await xavier.SubscribeAsync("a");
        await xavier.SubscribeAsync("b");
        await yolanda.SubscribeAsync("a");
        using var publisher = first.CreatePublisherClient();

        // One batch request: its items are stored in order and pushed back to back, so the nodes
        // receive far more than one notification per pass of their fan-out.
        var items = Enumerable.Range(0, Items).Select(i => (i % 5) switch
        {
            0 => (object)new { type = "t", topics = new[] { "a" } },
            1 => new { type = "t", topics = new[] { "b" } },
            2 => new { type = "t", broadcast = true },
            3 => new { type = "t", users = new[] { "xavier" } },
            _ => new { type = "t", topics = new[] { "a", "b" } },
        }).ToArray();
        var (status, body, _) = await publisher.PostRawAsync("/api/v1/notifications/batch", PublishHelpers.Json(JsonSerializer.Serialize(items)));
        Assert.Equal(HttpStatusCode.Accepted, status);
        var ids = body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray();

        // The last user notification takes SignalR's path; after it, a broadcast on the fan-out
        // path proves that nothing of the burst is still on its way to either subscriber.
        await xavier.WaitForAsync(ids[Items - 2]);
        var last = await publisher.PublishAsync(new { type = "last", broadcast = true });
        await xavier.WaitForAsync(last);
        await yolanda.WaitForAsync(last);

        var perStream = new Dictionary<string, int> { ["topic:a"] = 160, ["topic:b"] = 160, ["broadcast"] = 80, ["user:xavier"] = 80 };
        AssertInOrder(xavier, perStream);
        AssertInOrder(yolanda, new() { ["topic:a"] = 160, ["broadcast"] = 80 });
    }

    private static void AssertInOrder(OfficialClient client, Dictionary<string, int> expected)
    {
        var received = client.Received.Items.Where(n => n.Type == "t").GroupBy(n => n.Stream).ToDictionary(g => g.Key, g => g.Select(n => n.Offset).ToList());
        Assert.Equal(expected.Keys.Order(), received.Keys.Order());
        foreach (var (stream, count) in expected)
        {
            // Offsets count from the stream's first entry: the node is fresh, so from 1.
            Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), received[stream]);
        }
    }
}

public sealed class InMemoryFanoutOrderTests : FanoutOrderSpecification
{
    protected override async Task<(PushNode First, PushNode Second)> StartNodesAsync()
    {
        var node = await PushNode.StartAsync(PushNode.DefaultSettings());
        return (node, node);
    }
}

[Collection(RedisCollection.Name)]
public sealed class RedisFanoutOrderTests(RedisServer redis) : FanoutOrderSpecification
{
    protected override async Task<(PushNode First, PushNode Second)> StartNodesAsync()
    {
        var prefix = "fanout-" + Guid.NewGuid().ToString("N")[..8];
        return (await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, prefix)),
            await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, prefix)));
    }
}
