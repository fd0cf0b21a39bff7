using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using PushService.Delivery;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>Push:Limits:MaxConnectionsPerUser, on one node and across nodes sharing Redis.</summary>
[Collection(RedisCollection.Name)]
public sealed class ConnectionLimitTests(RedisServer redis)
{
    private static Dictionary<string, string?> Limited(string? redisConnection = null, string? prefix = null)
        => new(PushNode.DefaultSettings(redisConnection, prefix)) { ["Push:Limits:MaxConnectionsPerUser"] = "2" };

    [Fact]
    public async Task AConnectionOverTheLimitIsClosedWithACodedReasonAndOthersAreUnaffected()
    {
        await using var node = await PushNode.StartAsync(Limited());
        await using var first = await OfficialClient.ConnectAsync(node, TestTokens.For("lou"));
        await using var second = await OfficialClient.ConnectAsync(node, TestTokens.For("lou"));

        var refusal = await RefusedAsync(node, "lou");
        Assert.Contains("limit_exceeded:", refusal, StringComparison.Ordinal);
        Assert.Contains("2 connections", refusal, StringComparison.Ordinal);

        // The refused one left no trace: the two still receive, another user connects.
        await using var other = await OfficialClient.ConnectAsync(node, TestTokens.For("lea"));
        using var publisher = node.CreatePublisherClient();
        var id = await publisher.PublishAsync(new { type = "t", users = new[] { "lou" } });
        await first.WaitForAsync(id);
        await second.WaitForAsync(id);
        Assert.Equal(3, node.Services.GetRequiredService<LocalConnections>().Count);

        // A place freed is a place taken.
        await first.Connection.StopAsync().DefaultTimeout();
        await Eventually.TrueAsync(() => Task.FromResult(node.Services.GetRequiredService<LocalConnections>().Count == 2));
        await using var third = await OfficialClient.ConnectAsync(node, TestTokens.For("lou"));
        var again = await publisher.PublishAsync(new { type = "t", users = new[] { "lou" } });
        await third.WaitForAsync(again);
    }

    [Fact]
    public async Task WithRedisTheLimitCountsTheUsersConnectionsOnEveryNode()
    {
        var prefix = "climit" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await PushNode.StartAsync(Limited(redis.ConnectionString, prefix));
        await using var b = await PushNode.StartAsync(Limited(redis.ConnectionString, prefix));
        await using var onA = await OfficialClient.ConnectAsync(a, TestTokens.For("lou"));
        await using var onB = await OfficialClient.ConnectAsync(b, TestTokens.For("lou"));

        Assert.Contains("limit_exceeded:", await RefusedAsync(a, "lou"), StringComparison.Ordinal);
        Assert.Contains("limit_exceeded:", await RefusedAsync(b, "lou"), StringComparison.Ordinal);
        await using var someoneElse = await OfficialClient.ConnectAsync(b, TestTokens.For("lea"));
    }

    /// <summary>Connects one more of the user's connections and returns why the server closed it.</summary>
    private static async Task<string> RefusedAsync(PushNode node, string user)
    {
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(node.Url, Protocol.HubProtocolNames.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For(user)))
            .WithAutomaticReconnect()
            .Build();
        connection.Closed += error => { closed.TrySetResult(error); return Task.CompletedTask; };
        try
        {
            await connection.StartAsync().DefaultTimeout();
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            return ex.Message;
        }
        // The handshake completed before the hub refused: the close says why, and it says
        // not to reconnect, so even a client with automatic reconnect stays closed.
        var error = await closed.Task.DefaultTimeout();
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
        return error?.Message ?? "closed without an error";
    }
}
