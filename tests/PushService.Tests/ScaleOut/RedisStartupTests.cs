using System.Net;
using System.Net.Http.Json;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.ScaleOut;

/// <summary>
/// A node that starts while Redis is down (a rolling deploy during an outage, or pods up before
/// Redis) joins the backplane fully once Redis answers: broadcasts and topics reach its clients.
/// </summary>
public sealed class RedisStartupTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task ANodeStartedBeforeRedisReceivesBroadcastsAndTopicsOnceRedisIsUp()
    {
        _redis.Kill();
        await using var node = await PushNode.StartAsync(PushNode.DefaultSettings(_redis.ConnectionString, "startup"));
        using var publisher = node.CreatePublisherClient();
        using (var refused = await publisher.PostAsJsonAsync("/api/v1/notifications", new { type = "t", broadcast = true }).DefaultTimeout())
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        await _redis.RestartAsync();
        // Ready once the backplane hears itself (connections made before that are asked to resume).
        await Eventually.TrueAsync(async () => (await publisher.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK);
        await using var client = await OfficialClient.ConnectAsync(node, TestTokens.For("erin", "news"));
        await client.SubscribeAsync("news");

        var everyone = await publisher.PublishAsync(new { type = "maintenance", broadcast = true });
        var news = await publisher.PublishAsync(new { type = "news.posted", topics = new[] { "news" } });
        Assert.True((await client.WaitForAsync(everyone)).Broadcast);
        Assert.Equal("news", (await client.WaitForAsync(news)).Topic);
    }
}
