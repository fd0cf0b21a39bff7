using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Client;

/// <summary>Our .NET SDK's subscriber against a real node.</summary>
public sealed class PushClientTests : SingleNodeTest
{
    private PushClient Client(string user, PushProtocol protocol = PushProtocol.Json, HttpTransportType transports = HttpTransportType.WebSockets, params string[] topics)
        => Client(Node.Url, user, protocol, transports, topics);

    private static PushClient Client(Uri url, string user, PushProtocol protocol, HttpTransportType transports, params string[] topics) => new(new PushClientOptions
    {
        Url = url,
        AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For(user, topics)),
        Protocol = protocol,
        Transports = transports,
    });

    public static TheoryData<PushProtocol, HttpTransportType> ProtocolsAndTransports => new()
    {
        { PushProtocol.Json, HttpTransportType.WebSockets },
        { PushProtocol.Json, HttpTransportType.ServerSentEvents },
        { PushProtocol.Json, HttpTransportType.LongPolling },
        { PushProtocol.MessagePack, HttpTransportType.WebSockets },
        { PushProtocol.MessagePack, HttpTransportType.LongPolling },
    };

    [Theory]
    [MemberData(nameof(ProtocolsAndTransports))]
    public async Task HandlersByTypeReceiveUserTopicAndBroadcast(PushProtocol protocol, HttpTransportType transport)
    {
        await using var client = Client("alice", protocol, transport, "news");
        var emails = new Inbox<Notification>();
        var all = new Inbox<Notification>();
        using var _ = client.On("email.new", emails.Add);
        using var __ = client.OnAny(n => { all.Add(n); return Task.CompletedTask; });
        await client.StartAsync().DefaultTimeout();
        await client.SubscribeAsync("news").DefaultTimeout();

        var email = await Publisher.PublishAsync(new { type = "email.new", users = new[] { "alice" }, data = new { subject = "Hi", count = 3 } });
        var news = await Publisher.PublishAsync(new { type = "news.posted", topics = new[] { "news" } });
        var broadcast = await Publisher.PublishAsync(new { type = "maintenance", broadcast = true });

        var received = await emails.WaitForAsync(n => n.Id == email);
        Assert.Equal("alice", received.User);
        Assert.Equal(3, received.GetData<EmailData>()!.Count);
        Assert.Equal(TimeSpan.Zero, received.CreatedAt.Offset);
        Assert.Equal("news", (await all.WaitForAsync(n => n.Id == news)).Topic);
        Assert.True((await all.WaitForAsync(n => n.Id == broadcast)).IsBroadcast);
        Assert.DoesNotContain(emails.Items, n => n.Type != "email.new");
    }

    private sealed record EmailData(string Subject, int Count);

    [Fact]
    public async Task MessagePackSkipsServerSentEventsAndRefusesThemAlone()
    {
        // Server-Sent Events carry text only: MessagePack with nothing else allowed is a clear error at once...
        var refused = Assert.Throws<ArgumentException>(() => Client("alice", PushProtocol.MessagePack, HttpTransportType.ServerSentEvents));
        Assert.Contains("Server-Sent Events", refused.Message, StringComparison.Ordinal);

        // ...and with SSE and long polling allowed it goes over long polling.
        await using var client = Client("alice", PushProtocol.MessagePack, HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling);
        var all = new Inbox<Notification>();
        using var _ = client.OnAny(n => { all.Add(n); return Task.CompletedTask; });
        await client.StartAsync().DefaultTimeout();
        var id = await Publisher.PublishAsync(new { type = "t", users = new[] { "alice" } });
        await all.WaitForAsync(n => n.Id == id);
    }

    [Fact]
    public async Task DisposedHandlerNoLongerRuns()
    {
        await using var client = Client("bob");
        var first = new Inbox<Notification>();
        var second = new Inbox<Notification>();
        var registration = client.On("t", first.Add);
        using var _ = client.On("t", second.Add);
        await client.StartAsync().DefaultTimeout();

        var before = await Publisher.PublishAsync(new { type = "t", users = new[] { "bob" } });
        await first.WaitForAsync(n => n.Id == before);
        registration.Dispose();
        var after = await Publisher.PublishAsync(new { type = "t", users = new[] { "bob" } });

        await second.WaitForAsync(n => n.Id == after);
        Assert.DoesNotContain(first.Items, n => n.Id == after);
    }

    [Fact]
    public async Task ReadAllAsyncYieldsInPublishOrder()
    {
        await using var client = Client("carol");
        using var cancel = new CancellationTokenSource(TaskTimeoutExtensions.DefaultTimeoutSpan);
        var reader = client.ReadAllAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        await client.StartAsync().DefaultTimeout();

        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await Publisher.PublishAsync(new { type = "t", users = new[] { "carol" }, data = i }));
        }
        var read = new List<string>();
        while (read.Count < ids.Count && await reader.MoveNextAsync())
        {
            read.Add(reader.Current.Id);
        }
        Assert.Equal(ids, read);
        await reader.DisposeAsync();
    }

    [Fact]
    public async Task TopicsSubscribedBeforeStartAreJoinedOnStart()
    {
        await using var client = Client("dave", topics: "news");
        var inbox = new Inbox<Notification>();
        using var _ = client.OnAny(n => { inbox.Add(n); return Task.CompletedTask; });
        await client.SubscribeAsync("news").DefaultTimeout();
        await client.StartAsync().DefaultTimeout();

        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        await inbox.WaitForAsync(n => n.Id == id);
        Assert.Equal(["news"], client.Topics);
    }

    [Fact]
    public async Task RefusedTopicThrowsTypedErrorAndConnectionStaysUp()
    {
        await using var client = Client("erin", topics: "news");
        await client.StartAsync().DefaultTimeout();

        var forbidden = await Assert.ThrowsAsync<PushSubscriptionException>(() => client.SubscribeAsync("secret"));
        Assert.Equal(PushSubscriptionErrorCodes.Forbidden, forbidden.Code);
        Assert.Equal("secret", forbidden.Topic);
        var invalid = await Assert.ThrowsAsync<PushSubscriptionException>(() => client.SubscribeAsync("bad topic"));
        Assert.Equal(PushSubscriptionErrorCodes.InvalidTopic, invalid.Code);

        Assert.Equal(PushConnectionState.Connected, client.State);
        Assert.Empty(client.Topics);
        await client.SubscribeAsync("news").DefaultTimeout();
    }

    [Fact]
    public async Task AfterTheNodeRestartsTheClientReconnectsAndRejoinsItsTopics()
    {
        var url = Node.Url;
        await Node.DisposeAsync();
        var node = await PushNode.StartAsync(url: url);
        try
        {
            await using var client = Client(url, "frank", PushProtocol.Json, HttpTransportType.WebSockets, "news", "stock:*");
            var inbox = new Inbox<Notification>();
            using var _ = client.OnAny(n => { inbox.Add(n); return Task.CompletedTask; });
            var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            client.Reconnecting += _ => { reconnecting.TrySetResult(); return Task.CompletedTask; };
            client.Reconnected += _ => { reconnected.TrySetResult(); return Task.CompletedTask; };
            var historyLost = new Inbox<RecoveryFailedEventArgs>();
            client.RecoveryFailed += e => { historyLost.Add(e); return Task.CompletedTask; };
            await client.StartAsync().DefaultTimeout();
            await client.SubscribeAsync("news").DefaultTimeout();
            await client.SubscribeAsync("stock:ACME").DefaultTimeout();

            await node.DisposeAsync();
            await reconnecting.Task.DefaultTimeout();
            node = await PushNode.StartAsync(url: url);
            await reconnected.Task.DefaultTimeout(TimeSpan.FromSeconds(30));

            // Reconnected is raised only once the topics are joined again on the new connection.
            using var publisher = node.CreatePublisherClient();
            var news = await publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
            var stock = await publisher.PublishAsync(new { type = "t", topics = new[] { "stock:ACME" } });
            await inbox.WaitForAsync(n => n.Id == news);
            await inbox.WaitForAsync(n => n.Id == stock);
            Assert.Equal(PushConnectionState.Connected, client.State);
            // The in-memory history went with the process: the app is told, per stream.
            var lost = await historyLost.WaitForAsync(e => e.Stream == "user:frank");
            Assert.Equal(RecoveryFailureReason.EpochChanged, lost.Reason);
        }
        finally
        {
            Node = node;
        }
    }

    [Fact]
    public async Task ClosedIsRaisedOnStop()
    {
        await using var client = Client("gina");
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Closed += ex => { closed.TrySetResult(ex); return Task.CompletedTask; };
        await client.StartAsync().DefaultTimeout();

        await client.StopAsync().DefaultTimeout();

        Assert.Null(await closed.Task.DefaultTimeout());
        Assert.Equal(PushConnectionState.Disconnected, client.State);
    }

    [Fact]
    public async Task WhenReconnectingGivesUpClosedIsRaisedWithTheError()
    {
        await using var client = new PushClient(new PushClientOptions
        {
            Url = Node.Url,
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For("hank")),
            ReconnectPolicy = new GiveUpAfter(2),
        });
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnecting += _ => { reconnecting.TrySetResult(); return Task.CompletedTask; };
        client.Closed += ex => { closed.TrySetResult(ex); return Task.CompletedTask; };
        await client.StartAsync().DefaultTimeout();

        // The node goes away for good: two attempts fail, the policy gives up, the app is told.
        await Node.DisposeAsync();
        Node = await PushNode.StartAsync();

        await reconnecting.Task.DefaultTimeout();
        Assert.NotNull(await closed.Task.DefaultTimeout(TimeSpan.FromSeconds(30)));
        Assert.Equal(PushConnectionState.Disconnected, client.State);
    }

    /// <summary>Retries at once, <paramref name="attempts"/> times, then gives up.</summary>
    private sealed class GiveUpAfter(int attempts) : Microsoft.AspNetCore.SignalR.Client.IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(Microsoft.AspNetCore.SignalR.Client.RetryContext retryContext) =>
            retryContext.PreviousRetryCount < attempts ? TimeSpan.Zero : null;
    }

    [Fact]
    public async Task StartWithABadTokenFails()
    {
        await using var client = new PushClient(new PushClientOptions
        {
            Url = Node.Url,
            AccessTokenProvider = () => Task.FromResult<string?>("not-a-jwt"),
        });
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }
}
