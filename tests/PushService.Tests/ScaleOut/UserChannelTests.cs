using PushService.Tests.Infrastructure;
using StackExchange.Redis;

namespace PushService.Tests.ScaleOut;

/// <summary>
/// A node hears a user's channel exactly while it holds a connection of that user: one Redis
/// subscription per user and node, shared by that user's connections there, gone with the last —
/// and none of SignalR's own per-user channels beside it (they would hold a second queue per
/// connection, never used).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class UserChannelTests(RedisServer redis) : IAsyncLifetime
{
    private readonly string _prefix = "users-" + Guid.NewGuid().ToString("N")[..8];
    private PushNode _node = null!;
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _node = await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, _prefix));
        _redis = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task ANodeHearsAUsersChannelWhileItHoldsAConnectionOfThatUser()
    {
        var first = await OfficialClient.ConnectAsync(_node, TestTokens.For("uma"));
        var second = await OfficialClient.ConnectAsync(_node, TestTokens.For("uma"));
        Assert.Equal(1, await SubscribersAsync($"{_prefix}:user:uma"));
        Assert.Equal([$"{_prefix}:user:uma"], await ChannelsNamingAsync("uma"));

        await first.DisposeAsync();
        // The other connection still hears the user: the subscription stays.
        var id = await PublishToUmaAsync();
        await second.WaitForAsync(id);
        Assert.Equal(1, await SubscribersAsync($"{_prefix}:user:uma"));

        await second.DisposeAsync();
        await Eventually.TrueAsync(async () => await SubscribersAsync($"{_prefix}:user:uma") == 0);

        // And a new connection hears the user again.
        await using var third = await OfficialClient.ConnectAsync(_node, TestTokens.For("uma"));
        var again = await PublishToUmaAsync();
        await third.WaitForAsync(again);
    }

    private async Task<string> PublishToUmaAsync()
    {
        using var publisher = _node.CreatePublisherClient();
        return await publisher.PublishAsync(new { type = "t", users = new[] { "uma" } });
    }

    private async Task<long> SubscribersAsync(string channel)
    {
        var reply = (RedisResult[])(await _redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel))!;
        return (long)reply[1];
    }

    private async Task<string[]> ChannelsNamingAsync(string user)
    {
        var reply = (RedisResult[])(await _redis.GetDatabase().ExecuteAsync("PUBSUB", "CHANNELS", $"{_prefix}*{user}*"))!;
        return [.. reply.Select(r => (string)r!)];
    }
}
