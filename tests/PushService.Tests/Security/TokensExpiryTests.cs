using System.Security.Claims;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// A hub connection lives only as long as its token: the service closes it when the token expires,
/// and the SDK reconnects with a fresh token from its provider and resumes, losing and repeating nothing.
/// </summary>
public sealed class TokensExpiryTests : SingleNodeTest
{
    private static readonly TimeSpan ShortLifetime = TimeSpan.FromSeconds(3);

    private readonly string _user = "eve-" + Guid.NewGuid().ToString("N")[..6];

    // No clock skew: a token is over the moment it expires.
    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings()) { ["Push:Jwt:ClockSkew"] = "00:00:00" };

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task AnExpiredTokenClosesTheConnectionAndTheSdkResumesWithAFreshOne(HttpTransportType transport)
    {
        var tokensIssued = 0;
        var seen = new Inbox<Notification>();
        var reconnecting = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var client = new PushClient(new PushClientOptions
        {
            Url = Node.Url,
            Transports = transport,
            AccessTokenProvider = () =>
            {
                Interlocked.Increment(ref tokensIssued);
                return Task.FromResult<string?>(TestTokens.Create(new ClaimsIdentity([new Claim("sub", _user)]), DateTime.UtcNow + ShortLifetime));
            },
        });
        using var _ = client.OnAny(seen.Add);
        client.Reconnecting += error => { reconnecting.TrySetResult(error); return Task.CompletedTask; };
        client.Reconnected += _ => { reconnected.TrySetResult(); return Task.CompletedTask; };
        await client.StartAsync().DefaultTimeout();
        var firstConnection = client.ConnectionId;

        // Published while the first token is valid, and on until the service closes the connection.
        var published = new List<string>();
        while (!reconnecting.Task.IsCompleted && published.Count < 200)
        {
            published.Add(await Publisher.PublishAsync(new { type = "t", users = new[] { _user }, data = published.Count }));
            await seen.WaitForAsync(n => n.Id == published[^1]);
        }
        await reconnecting.Task.DefaultTimeout();
        // While it is away, and after it is back.
        published.Add(await Publisher.PublishAsync(new { type = "t", users = new[] { _user }, data = -1 }));
        await reconnected.Task.DefaultTimeout();
        published.Add(await Publisher.PublishAsync(new { type = "t", users = new[] { _user }, data = -2 }));
        await seen.WaitForAsync(n => n.Id == published[^1]);

        Assert.NotEqual(firstConnection, client.ConnectionId);
        Assert.True(Volatile.Read(ref tokensIssued) >= 2, $"the token provider was called {tokensIssued} times");
        Assert.Equal(published, seen.Items.Select(n => n.Id));
    }
}
