using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.Presence;
using PushService.Redis;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Presence;

/// <summary>Presence over REST for each engine: right after connect and disconnect, for one user or many.</summary>
public abstract class PresenceSpecification : IAsyncLifetime
{
    private readonly string _alice = "alice-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _bob = "bob-" + Guid.NewGuid().ToString("N")[..8];
    private HttpClient _api = null!;

    protected abstract Task<(PushNode First, PushNode Second)> StartNodesAsync();

    protected abstract Task StopNodesAsync();

    private PushNode First { get; set; } = null!;

    private PushNode Second { get; set; } = null!;

    public async Task InitializeAsync()
    {
        (First, Second) = await StartNodesAsync();
        _api = First.CreatePublisherClient();
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await StopNodesAsync();
    }

    private async Task<(bool Online, int Connections)> PresenceAsync(string user)
    {
        var json = await _api.GetFromJsonAsync<JsonElement>($"/api/v1/users/{user}/presence").DefaultTimeout();
        Assert.Equal(user, json.GetProperty("user").GetString());
        return (json.GetProperty("online").GetBoolean(), json.GetProperty("connections").GetInt32());
    }

    [Fact]
    public async Task PresenceFollowsConnectionsOnEveryNode()
    {
        Assert.Equal((false, 0), await PresenceAsync(_alice));

        var first = await OfficialClient.ConnectAsync(First, TestTokens.For(_alice));
        await using var second = await OfficialClient.ConnectAsync(Second, TestTokens.For(_alice));
        // The server records a connection in OnConnectedAsync, just after the handshake answer.
        await Eventually.TrueAsync(async () => await PresenceAsync(_alice) == (true, 2));

        // A disconnect is gone from presence once the server has seen it close.
        await first.DisposeAsync();
        await Eventually.TrueAsync(async () => await PresenceAsync(_alice) == (true, 1));
        await second.Connection.StopAsync().DefaultTimeout();
        await Eventually.TrueAsync(async () => await PresenceAsync(_alice) == (false, 0));
    }

    [Fact]
    public async Task ManyUsersAreAnsweredAtOnceInOrder()
    {
        await using var alice = await OfficialClient.ConnectAsync(First, TestTokens.For(_alice));
        await using var bob1 = await OfficialClient.ConnectAsync(First, TestTokens.For(_bob));
        await using var bob2 = await OfficialClient.ConnectAsync(Second, TestTokens.For(_bob));

        (string?, bool, int)[] expected = [(_bob, true, 2), ("nobody-" + _alice, false, 0), (_alice, true, 1)];
        (string?, bool, int)[] users = [];
        await Eventually.TrueAsync(async () =>
        {
            using var response = await _api.PostAsJsonAsync("/api/v1/users/presence/query", new { users = new[] { _bob, "nobody-" + _alice, _alice } });
            users = [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("users").EnumerateArray()
                .Select(u => (u.GetProperty("user").GetString(), u.GetProperty("online").GetBoolean(), u.GetProperty("connections").GetInt32()))];
            return users.SequenceEqual(expected);
        });
        Assert.Equal(expected, users);
    }

    [Theory]
    [InlineData("""{"users":[]}""", "users")]
    [InlineData("""{"users":["ok","bad\u0001id"]}""", "users[1]")]
    [InlineData("""{}""", "users")]
    public async Task BadQueriesAre400NamingTheField(string body, string field)
    {
        var (status, problem, _) = await _api.PostRawAsync("/api/v1/users/presence/query", PublishHelpers.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task PresenceNeedsAnApiKey()
    {
        using var anonymous = First.CreatePublisherClient(apiKey: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/v1/users/{_alice}/presence").DefaultTimeout()).StatusCode);
    }
}

public sealed class MemoryPresenceTests : PresenceSpecification
{
    private PushNode? _node;

    protected override async Task<(PushNode First, PushNode Second)> StartNodesAsync()
    {
        _node = await PushNode.StartAsync();
        return (_node, _node);
    }

    protected override async Task StopNodesAsync() => await _node!.DisposeAsync();
}

[Collection(RedisCollection.Name)]
public sealed class RedisPresenceTests(RedisServer redis) : PresenceSpecification
{
    private readonly List<PushNode> _nodes = [];

    protected override async Task<(PushNode First, PushNode Second)> StartNodesAsync()
    {
        var prefix = "presence-" + Guid.NewGuid().ToString("N")[..8];
        _nodes.Add(await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, prefix)));
        _nodes.Add(await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, prefix)));
        return (_nodes[0], _nodes[1]);
    }

    protected override async Task StopNodesAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task ALeaseNobodyRenewsExpires()
    {
        // What a crashed node leaves behind: a lease that is never renewed nor removed.
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var connection = new RedisConnection(Options.Create(new PushOptions { Redis = redis.ConnectionString, RedisPrefix = "lease-" + Guid.NewGuid().ToString("N")[..8] }), NullLogger<RedisConnection>.Instance);
        var store = new RedisPresenceStore(connection, Options.Create(new PresenceOptions { Lease = TimeSpan.FromSeconds(30) }), clock);
        await store.AddAsync("crashed-user", "conn-1");
        await store.AddAsync("crashed-user", "conn-2");
        Assert.Equal([2], await store.CountAsync(["crashed-user"]));

        clock.Advance(TimeSpan.FromSeconds(20));
        await store.RenewAsync([("crashed-user", "conn-2")]);
        clock.Advance(TimeSpan.FromSeconds(15));

        Assert.Equal([1], await store.CountAsync(["crashed-user"]));
    }
}
