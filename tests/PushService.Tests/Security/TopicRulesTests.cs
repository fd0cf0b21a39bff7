using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// Topic names are exact (case-sensitive, ASCII, no wildcards) at every entry point, and no name
/// trick reaches another user's or topic's stream. One node with server-side topic rules.
/// </summary>
public sealed class TopicRulesTests : SingleNodeTest
{
    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:Topics:Public:0"] = "lobby",
        ["Push:Topics:Public:1"] = "announce:*",
        ["Push:Topics:PerUser:0"] = "user-feed:{sub}",
        ["Push:Topics:PerUser:1"] = "inbox:{sub}:*",
    };

    // Names no entry point may accept as a topic: wildcards, control characters, too long,
    // non-ASCII look-alikes (Cyrillic 'е', fullwidth, zero-width, precomposed 'é'), encodings.
    public static TheoryData<string> NotTopics =>
    [
        "news*", "*", "new*s", "news\0", "news\u0000x", "\u0000", "news\n", "news\u007f", new string('a', 201),
        "n\u0435ws", "\uff4e\uff45\uff57\uff53", "news\u200b", "caf\u00e9", "cafe\u0301", "news%2A", "news%00", "news ", " news", "",
    ];

    [Theory]
    [MemberData(nameof(NotTopics))]
    public async Task NotATopicIsRefusedBySubscribeResumeHistoryAndPublish(string name)
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("tina", "*"));

        var subscribe = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(name));
        Assert.Contains("invalid_topic:", subscribe.Message, StringComparison.Ordinal);
        var resumed = await client.ResumeAsync(HubSession.At("topic:" + name, 0, ""));
        Assert.Equal("invalid_stream", resumed.For("topic:" + name).Error);
        var history = await Assert.ThrowsAsync<HubException>(() => client.HistoryAsync("topic:" + name, null, 10));
        Assert.Contains("invalid_stream:", history.Message, StringComparison.Ordinal);

        var (status, problem, _) = await Publisher.PostRawAsync("/api/v1/notifications",
            PublishHelpers.Json(JsonSerializer.Serialize(new { type = "t", topics = new[] { name } })));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("topics[0]", out _), problem.ToString());
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
    }

    [Fact]
    public async Task LongestTopicIsAccepted()
    {
        var longest = new string('a', 200);
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("tina", "*"));
        await client.SubscribeAsync(longest);
        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { longest } });
        Assert.Equal(longest, (await client.WaitForAsync(id)).Topic);
    }

    [Fact]
    public async Task CaseMakesADifferentTopicEverywhere()
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("nora", "news"));
        await client.SubscribeAsync("news");

        Assert.Contains("forbidden:", (await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("News"))).Message, StringComparison.Ordinal);
        Assert.Contains("forbidden:", (await Assert.ThrowsAsync<HubException>(() => client.HistoryAsync("topic:NEWS", null, 10))).Message, StringComparison.Ordinal);
        Assert.Equal("forbidden", (await client.ResumeAsync(HubSession.At("topic:News", 0, ""))).For("topic:News").Error);

        var upper = await Publisher.PublishAsync(new { type = "t", topics = new[] { "News" } });
        var lower = await Publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        Assert.Equal("topic:news", (await client.WaitForAsync(lower)).Stream);
        Assert.DoesNotContain(client.Received.Items, n => n.Id == upper);
        // Two streams, each with its own history.
        var page = await client.HistoryAsync("topic:news", null, 10);
        Assert.Equal([lower], page.Notifications.Select(n => n.Id));
    }

    [Theory]
    [InlineData("user:alice")]
    [InlineData("user:Alice")]
    [InlineData("user:ALICE")]
    [InlineData("user:alice ")]
    [InlineData("user: alice")]
    [InlineData("user:\u0430lice")] // Cyrillic 'а'
    [InlineData("user:alice\u200b")]
    [InlineData("user:alice%00")]
    [InlineData("user:bob")]
    [InlineData("User:alice")]
    [InlineData("user:alice\0")]
    [InlineData("user:alice\n")]
    [InlineData("user:*")]
    [InlineData("user:alice*")]
    [InlineData("user:")]
    [InlineData("topic:user:alice")]
    public async Task NoOtherSpellingReadsAUsersStream(string stream)
    {
        var secret = await Publisher.PublishAsync(new { type = "secret", users = new[] { "alice" } });
        await using var alice = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"));
        var own = await alice.HistoryAsync("user:alice", null, 100);
        Assert.Contains(own.Notifications, n => n.Id == secret);
        // Mallory holds every topic grant there is; "Alice" is another user whose own stream is user:Alice.
        await using var mallory = await OfficialClient.ConnectAsync(Node, TestTokens.For("mallory", "*"));
        await using var impostor = await OfficialClient.ConnectAsync(Node, TestTokens.For("Alice", "*"));

        foreach (var client in new[] { mallory, impostor })
        {
            // Resuming from before the secret, in alice's epoch: alice's stream would replay it.
            var resumed = await client.ResumeAsync(HubSession.At(stream, 0, own.Epoch));
            var entry = resumed.Streams.Single(s => s.Stream == stream);
            Assert.True(entry.Error is "forbidden" or "invalid_stream" || stream != "user:alice", $"{stream} answered without an error");
            Assert.DoesNotContain(entry.Notifications, n => n.Id == secret);
            try
            {
                var page = await client.HistoryAsync(stream, null, 100);
                Assert.NotEqual("user:alice", page.Stream);
                Assert.DoesNotContain(page.Notifications, n => n.Id == secret);
            }
            catch (HubException error)
            {
                Assert.Matches("(forbidden|invalid_stream):", error.Message);
            }
        }
        Assert.DoesNotContain(mallory.Received.Items.Concat(impostor.Received.Items), n => n.Id == secret);
    }

    [Fact]
    public async Task UserIdsAreExactWhenPublishing()
    {
        await using var alice = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"));
        var toUpper = await Publisher.PublishAsync(new { type = "t", users = new[] { "Alice", "alice " } });
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "alice" } });
        await alice.WaitForAsync(sentinel);
        Assert.DoesNotContain(alice.Received.Items, n => n.Id == toUpper);
    }

    [Fact]
    public async Task PublicTopicsAreOpenToEverySubscriberExactly()
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("pat"));
        await client.SubscribeAsync("lobby");
        await client.SubscribeAsync("announce:today");
        foreach (var refused in new[] { "Lobby", "lobby2", "lobby:x", "announce", "Announce:today", "news" })
        {
            var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(refused));
            Assert.Contains("forbidden:", error.Message, StringComparison.Ordinal);
        }
        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { "announce:today" } });
        Assert.Equal("announce:today", (await client.WaitForAsync(id)).Topic);
        Assert.NotNull(await client.HistoryAsync("topic:lobby", null, 1));
    }

    [Fact]
    public async Task PerUserTopicsAreTheSubscribersOwnOnly()
    {
        await using var bob = await OfficialClient.ConnectAsync(Node, TestTokens.For("bob"));
        await bob.SubscribeAsync("user-feed:bob");
        await bob.SubscribeAsync("inbox:bob:1");
        await bob.SubscribeAsync("inbox:bob:");
        foreach (var refused in new[] { "user-feed:Bob", "user-feed:bobby", "user-feed:bo", "user-feed:alice", "inbox:bobby:1", "inbox:alice:1", "inbox:bob", "user-feed:bob:x" })
        {
            var error = await Assert.ThrowsAsync<HubException>(() => bob.SubscribeAsync(refused));
            Assert.Contains("forbidden:", error.Message, StringComparison.Ordinal);
        }
        Assert.Contains("forbidden:", (await Assert.ThrowsAsync<HubException>(() => bob.HistoryAsync("topic:user-feed:alice", null, 1))).Message, StringComparison.Ordinal);
        Assert.Equal("forbidden", (await bob.ResumeAsync(HubSession.At("topic:inbox:alice:1", 0, ""))).For("topic:inbox:alice:1").Error);

        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { "user-feed:bob" } });
        Assert.Equal("user-feed:bob", (await bob.WaitForAsync(id)).Topic);
    }

    [Theory]
    [InlineData("*", "user-feed:alice")]
    [InlineData("bob:x", "inbox:bob:x:1")]
    [InlineData("bob/x", "inbox:bob/x:1")]
    [InlineData("a b", "user-feed:a")]
    public async Task ASubjectThatIsNoPlainNameGetsNoPerUserTopics(string subject, string topic)
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For(subject));
        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync(topic));
        Assert.Contains("forbidden:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ali%63e", true)]   // percent-decoded to alice: the same user, a publisher may read it
    [InlineData("alice%00", false)] // NUL
    [InlineData("alice%0A", false)] // new line
    public async Task RestHistoryDecodesTheUserOnceAndRefusesControlCharacters(string encoded, bool readsAlice)
    {
        var id = await Publisher.PublishAsync(new { type = "t", users = new[] { "alice" } });
        using var response = await Publisher.GetAsync($"/api/v1/users/{encoded}/notifications").DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        if (readsAlice)
        {
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("user:alice", body.GetProperty("stream").GetString());
            Assert.Contains(body.GetProperty("notifications").EnumerateArray(), n => n.GetProperty("id").GetString() == id);
        }
        else
        {
            // Kestrel itself refuses a NUL in the path (400, no body); other control characters get our problem.
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain(id, text, StringComparison.Ordinal);
            Assert.True(text.Length == 0 || JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty("user", out _), text);
        }
    }

    [Fact]
    public async Task AnEncodedSlashIsNotDecodedIntoAnotherUsersStream()
    {
        // "a/b" cannot be written in one path segment; "a%2Fb" stays that literal name (ASP.NET Core
        // does not decode %2F in route values), which is a different user than "a/b" or "a".
        var id = await Publisher.PublishAsync(new { type = "t", users = new[] { "a/b", "a" } });
        using var response = await Publisher.GetAsync("/api/v1/users/a%2Fb/notifications").DefaultTimeout();
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual("user:a", body.GetProperty("stream").GetString());
        Assert.DoesNotContain(body.GetProperty("notifications").EnumerateArray(), n => n.GetProperty("id").GetString() == id);
    }
}
