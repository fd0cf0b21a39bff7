using PushService.Tests.Infrastructure;

namespace PushService.Tests.ScaleOut;

/// <summary>Two services on one Redis with different Push:RedisPrefix never hear each other.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisPrefixTests(RedisServer redis)
{
    [Fact]
    public async Task ServicesWithDifferentPrefixesShareARedisWithoutCrossTalk()
    {
        await using var blue = await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, "blue-" + Guid.NewGuid().ToString("N")[..6]));
        await using var green = await PushNode.StartAsync(PushNode.DefaultSettings(redis.ConnectionString, "green-" + Guid.NewGuid().ToString("N")[..6]));
        await using var onBlue = await OfficialClient.ConnectAsync(blue, TestTokens.For("sam"));
        await using var onGreen = await OfficialClient.ConnectAsync(green, TestTokens.For("sam"));
        using var publishBlue = blue.CreatePublisherClient();
        using var publishGreen = green.CreatePublisherClient();

        var toUser = await publishBlue.PublishAsync(new { type = "t", users = new[] { "sam" } });
        var toAll = await publishBlue.PublishAsync(new { type = "t", broadcast = true });
        await onBlue.WaitForAsync(toAll);
        var sentinel = await publishGreen.PublishAsync(new { type = "sentinel", users = new[] { "sam" } });
        await onGreen.WaitForAsync(sentinel);

        await onBlue.WaitForAsync(toUser);
        Assert.DoesNotContain(onGreen.Received.Items, n => n.Id == toUser || n.Id == toAll);
    }
}
