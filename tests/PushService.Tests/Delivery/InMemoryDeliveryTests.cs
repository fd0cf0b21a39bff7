using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Delivery;

/// <summary>One in-memory node, subscribers on the official SignalR .NET client.</summary>
public sealed class InMemoryDeliveryTests : SingleNodeTest
{
    [Fact]
    public async Task UserNotificationReachesEveryConnectionOfThatUserOnly()
    {
        await using var alice1 = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"));
        await using var alice2 = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"), HttpTransportType.LongPolling);
        await using var bob = await OfficialClient.ConnectAsync(Node, TestTokens.For("bob"));

        var id = await Publisher.PublishAsync(new { type = "email.new", users = new[] { "alice" }, data = new { subject = "hi" } });
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "bob" } });

        var first = await alice1.WaitForAsync(id);
        await alice2.WaitForAsync(id);
        await bob.WaitForAsync(sentinel);
        Assert.Equal("alice", first.User);
        Assert.Equal("email.new", first.Type);
        Assert.Equal("hi", first.Data.GetProperty("subject").GetString());
        Assert.DoesNotContain(bob.Received.Items, n => n.Id == id);
    }

    [Fact]
    public async Task WireFormatInJsonIsTheDocumentedOne()
    {
        // A bare connection: the first handler registered for a target decides the argument type.
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Node.Url, HubProtocolNames.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For("alice", "news")))
            .Build();
        var raw = new Inbox<JsonElement>();
        connection.On<JsonElement>(HubProtocolNames.NotificationTarget, raw.Add);
        await connection.StartAsync().DefaultTimeout();
        await connection.InvokeAsync(HubProtocolNames.Subscribe, "news").DefaultTimeout();

        var id = await Publisher.PublishAsync(new { type = "news.posted", topics = new[] { "news" }, data = new[] { 1, 2 }, id = "pub-123" });

        var json = await raw.WaitForAsync(n => n.GetProperty("id").GetString() == id);
        Assert.Equal("pub-123", id);
        var keys = json.EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(["createdAt", "data", "epoch", "id", "offset", "stream", "topic", "type"], keys);
        Assert.Equal("topic:news", json.GetProperty("stream").GetString());
        Assert.Equal(1, json.GetProperty("offset").GetInt64());
        Assert.Equal("news", json.GetProperty("topic").GetString());
        Assert.Equal("[1,2]", json.GetProperty("data").GetRawText());
        Assert.True(json.GetProperty("createdAt").TryGetDateTimeOffset(out var createdAt));
        Assert.Equal(TimeSpan.Zero, createdAt.Offset);
    }

    [Fact]
    public async Task TopicsAreJoinedByExactGrantOrPatternAndLeftAgain()
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("carol", "news", "stock:*"));
        await client.SubscribeAsync("news");
        await client.SubscribeAsync("stock:ACME");

        var news = await Publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        var stock = await Publisher.PublishAsync(new { type = "t", topics = new[] { "stock:ACME" } });
        Assert.Equal("news", (await client.WaitForAsync(news)).Topic);
        Assert.Equal("stock:ACME", (await client.WaitForAsync(stock)).Topic);

        await client.UnsubscribeAsync("news");
        var afterLeave = await Publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "carol" } });
        await client.WaitForAsync(sentinel);
        Assert.DoesNotContain(client.Received.Items, n => n.Id == afterLeave);
    }

    [Theory]
    [InlineData("sports", "forbidden:")]
    [InlineData("stock", "forbidden:")]
    [InlineData("stockx:ACME", "forbidden:")]
    [InlineData("NEWS", "forbidden:")]
    [InlineData("news*", "invalid_topic:")]
    [InlineData("", "invalid_topic:")]
    [InlineData("bad topic", "invalid_topic:")]
    public async Task RefusedTopicIsAHubErrorAndTheConnectionStaysUp(string topic, string code)
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("dave", "news", "stock:*"));

        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(topic));
        Assert.Contains(code, error.Message, StringComparison.Ordinal);

        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
        await client.SubscribeAsync("news");
        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { "news", topic.Length > 0 && !topic.Contains(' ') && !topic.Contains('*') ? topic : "news" } });
        var received = await client.WaitForAsync(id);
        Assert.Equal("news", received.Topic);
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "dave" } });
        await client.WaitForAsync(sentinel);
        Assert.DoesNotContain(client.Received.Items, n => n.Topic == topic);
    }

    [Fact]
    public async Task SubscriptionsPerConnectionAreLimited()
    {
        await using var node = await PushNode.StartAsync(new(PushNode.DefaultSettings()) { ["Push:Limits:MaxSubscriptionsPerConnection"] = "2" });
        await using var client = await OfficialClient.ConnectAsync(node, TestTokens.For("erin", "t:*"));
        await client.SubscribeAsync("t:1");
        await client.SubscribeAsync("t:2");
        await client.SubscribeAsync("t:2"); // already in: not counted twice

        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("t:3"));
        Assert.Contains("limit_exceeded:", error.Message, StringComparison.Ordinal);
        await client.UnsubscribeAsync("t:1");
        await client.SubscribeAsync("t:3");
    }

    [Fact]
    public async Task BroadcastReachesEveryone()
    {
        await using var alice = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"), HttpTransportType.ServerSentEvents);
        await using var bob = await OfficialClient.ConnectAsync(Node, TestTokens.For("bob"), messagePack: true);

        var id = await Publisher.PublishAsync(new { type = "maintenance", broadcast = true, data = "at noon" });

        Assert.True((await alice.WaitForAsync(id)).Broadcast);
        var atBob = await bob.WaitForAsync(id);
        Assert.True(atBob.Broadcast);
        Assert.Null(atBob.User);
        Assert.Equal("at noon", atBob.Data.GetString());
    }

    [Fact]
    public async Task MessagePackCarriesArbitraryJsonData()
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("frank"), messagePack: true);
        const string data = """{"s":"héllo","i":-42,"big":18446744073709551615,"f":1.5,"t":true,"n":null,"a":[1,"x",{"k":[]}],"o":{}}""";

        var id = await Publisher.PublishAsync(new { type = "t", users = new[] { "frank" }, data = JsonDocument.Parse(data).RootElement });

        var received = await client.WaitForAsync(id);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(data).RootElement, received.Data), received.Data.GetRawText());
        Assert.Equal(DateTimeKind.Utc, received.CreatedAt.Kind);
    }

    [Theory]
    [InlineData(HttpTransportType.WebSockets)]
    [InlineData(HttpTransportType.ServerSentEvents)]
    [InlineData(HttpTransportType.LongPolling)]
    public async Task ATokenInTheAccessTokenQueryParameterWorksOnEveryTransport(HttpTransportType transport)
    {
        // Browsers can't set headers on WebSocket or EventSource requests: the token rides in the URL.
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("gina", "news"), transport, tokenInQuery: true);
        await client.SubscribeAsync("news");

        var toGina = await Publisher.PublishAsync(new { type = "t", users = new[] { "gina" } });
        var onNews = await Publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });

        Assert.Equal("gina", (await client.WaitForAsync(toGina)).User);
        Assert.Equal("news", (await client.WaitForAsync(onNews)).Topic);
    }

    [Fact]
    public async Task HubRefusesConnectionsWithoutAValidToken()
    {
        using var http = new HttpClient { BaseAddress = Node.Url };
        using var anonymous = await http.PostAsync("/hubs/notifications/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var badQueryToken = await http.PostAsync("/hubs/notifications/negotiate?negotiateVersion=1&access_token=not-a-token", null);
        Assert.Equal(HttpStatusCode.Unauthorized, badQueryToken.StatusCode);

        var forged = TestTokens.Create(new System.Security.Claims.ClaimsIdentity([new("sub", "alice")]), DateTime.UtcNow.AddHours(1), signingKey: "another-signing-key-0123456789-0123456789");
        using var forgedRequest = new HttpRequestMessage(HttpMethod.Post, "/hubs/notifications/negotiate?negotiateVersion=1") { Headers = { { "Authorization", "Bearer " + forged } } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(forgedRequest)).StatusCode);

        var noSubject = TestTokens.Create(new System.Security.Claims.ClaimsIdentity([new("topics", "news")]), DateTime.UtcNow.AddHours(1));
        using var noSubjectRequest = new HttpRequestMessage(HttpMethod.Post, "/hubs/notifications/negotiate?negotiateVersion=1") { Headers = { { "Authorization", "Bearer " + noSubject } } };
        // No subject is not a subscriber's token at all: 401, as for a bad signature.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(noSubjectRequest)).StatusCode);
    }
}
