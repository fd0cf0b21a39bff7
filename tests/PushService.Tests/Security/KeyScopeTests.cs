using System.Net;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>Each scope of a key refuses with 403 naming what is not allowed, and allows the rest.</summary>
public sealed class KeyScopeTests : SingleNodeTest
{
    private const string MailKey = "mail-publisher-key-0123456789";
    private const string TopicsOnlyKey = "topics-publisher-key-0123456789";
    private const string UsersOnlyKey = "users-publisher-key-0123456789";

    private HttpClient _mail = null!;
    private HttpClient _topicsOnly = null!;

    // Key 0 ("tests", PushNode.ApiKey) has no scope settings: it may do everything, as before scopes.
    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:ApiKeys:1:Name"] = "mail",
        ["Push:ApiKeys:1:Hash"] = SecurityHelpers.Sha256Hex(MailKey),
        ["Push:ApiKeys:1:Types:0"] = "email.*",
        ["Push:ApiKeys:1:Types:1"] = "digest",
        ["Push:ApiKeys:1:Topics:0"] = "inbox:*",
        ["Push:ApiKeys:1:Topics:1"] = "news",
        ["Push:ApiKeys:1:Broadcast"] = "false",
        ["Push:ApiKeys:1:ReadHistory"] = "false",
        ["Push:ApiKeys:1:ReadPresence"] = "false",
        ["Push:ApiKeys:2:Name"] = "topics-only",
        ["Push:ApiKeys:2:Key"] = TopicsOnlyKey,
        ["Push:ApiKeys:2:Users"] = "false",
        // As "Topics": [] in JSON or an empty Push__ApiKeys__3__Topics: no topics at all.
        ["Push:ApiKeys:3:Name"] = "users-only",
        ["Push:ApiKeys:3:Key"] = UsersOnlyKey,
        ["Push:ApiKeys:3:Topics"] = "",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _mail = Node.CreatePublisherClient(MailKey);
        _topicsOnly = Node.CreatePublisherClient(TopicsOnlyKey);
    }

    public override async Task DisposeAsync()
    {
        _mail.Dispose();
        _topicsOnly.Dispose();
        await base.DisposeAsync();
    }

    private static async Task<(HttpStatusCode Status, System.Text.Json.JsonElement Problem)> PublishAsync(HttpClient client, object body, string path = "/api/v1/notifications")
    {
        var (status, json, response) = await client.PostAsync(path, body);
        response.Dispose();
        return (status, json);
    }

    private static void AssertForbidden((HttpStatusCode Status, System.Text.Json.JsonElement Problem) answer, string field, string keyName)
    {
        Assert.True(answer.Status == HttpStatusCode.Forbidden, $"Expected 403, got {(int)answer.Status}: {answer.Problem}");
        Assert.Equal(403, answer.Problem.GetProperty("status").GetInt32());
        Assert.Equal([field], answer.Problem.ErrorFields());
        Assert.Contains($"'{keyName}'", answer.Problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("email.new")]
    [InlineData("email.")]
    [InlineData("digest")]
    public async Task ATypeItsPatternsCoverIsAccepted(string type)
    {
        var user = SecurityHelpers.Unique("scope");

        var (status, _) = await PublishAsync(_mail, new { type, users = new[] { user } });

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Single(await Publisher.StoredIdsAsync(user));
    }

    [Theory]
    [InlineData("sms.new")]
    [InlineData("email")]
    [InlineData("digest.weekly")]
    [InlineData("Email.new")]
    public async Task ATypeOutsideItsPatternsIs403AndStoresNothing(string type)
    {
        var user = SecurityHelpers.Unique("scope");

        AssertForbidden(await PublishAsync(_mail, new { type, users = new[] { user } }), "type", "mail");

        Assert.Empty(await Publisher.StoredIdsAsync(user));
    }

    [Fact]
    public async Task TopicsItsPatternsCoverAreAccepted()
    {
        var (status, _) = await PublishAsync(_mail, new { type = "email.new", topics = new[] { "inbox:alice", "news" } });

        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    [Fact]
    public async Task ATopicOutsideItsPatternsIs403NamingIt()
    {
        var answer = await PublishAsync(_mail, new { type = "email.new", topics = new[] { "inbox:alice", "sports" } });

        AssertForbidden(answer, "topics[1]", "mail");
        Assert.Contains("'sports'", answer.Problem.GetProperty("errors").GetProperty("topics[1]")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsersAreRefusedWhenTheKeyMayNotAddressThem()
    {
        var user = SecurityHelpers.Unique("scope");

        AssertForbidden(await PublishAsync(_topicsOnly, new { type = "t", users = new[] { user }, topics = new[] { "news" } }), "users", "topics-only");
        var (allowed, _) = await PublishAsync(_topicsOnly, new { type = "t", topics = new[] { "news" } });

        Assert.Equal(HttpStatusCode.Accepted, allowed);
        Assert.Empty(await Publisher.StoredIdsAsync(user));
    }

    [Fact]
    public async Task AnEmptyTopicsListAllowsNoTopicNotEveryTopic()
    {
        using var usersOnly = Node.CreatePublisherClient(UsersOnlyKey);
        var user = SecurityHelpers.Unique("scope");

        AssertForbidden(await PublishAsync(usersOnly, new { type = "t", topics = new[] { "news" } }), "topics[0]", "users-only");
        var (allowed, _) = await PublishAsync(usersOnly, new { type = "t", users = new[] { user } });

        Assert.Equal(HttpStatusCode.Accepted, allowed);
    }

    [Fact]
    public async Task BroadcastIsRefusedWhenTheKeyMayNotBroadcast()
    {
        AssertForbidden(await PublishAsync(_mail, new { type = "email.new", broadcast = true }), "broadcast", "mail");

        // A key without scope settings still may, as it did before scopes existed.
        var (status, _) = await PublishAsync(Publisher, new { type = "email.new", broadcast = true });
        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    [Fact]
    public async Task ABatchWithOneItemOutOfScopeIsRefusedWholeNamingTheItem()
    {
        var user = SecurityHelpers.Unique("scope");

        var answer = await PublishAsync(_mail, new object[]
        {
            new { type = "email.new", users = new[] { user } },
            new { type = "email.new", topics = new[] { "sports" } },
        }, "/api/v1/notifications/batch");

        AssertForbidden(answer, "[1].topics[0]", "mail");
        Assert.Empty(await Publisher.StoredIdsAsync(user));
    }

    [Fact]
    public async Task ABatchWithinScopeIsAccepted()
    {
        var user = SecurityHelpers.Unique("scope");

        var (status, _) = await PublishAsync(_mail, new object[]
        {
            new { type = "email.new", users = new[] { user } },
            new { type = "digest", topics = new[] { "news" } },
        }, "/api/v1/notifications/batch");

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Single(await Publisher.StoredIdsAsync(user));
    }

    [Fact]
    public async Task HistoryReadsNeedReadHistory()
    {
        var (status, problem, response) = await _mail.SendAsync(HttpMethod.Get, "/api/v1/users/alice/notifications");
        response.Dispose();

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("ReadHistory", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _topicsOnly.SendAsync(HttpMethod.Get, "/api/v1/users/alice/notifications")).Status);
    }

    [Fact]
    public async Task PresenceReadsNeedReadPresence()
    {
        var (single, problem, response) = await _mail.SendAsync(HttpMethod.Get, "/api/v1/users/alice/presence");
        response.Dispose();
        var (query, _, queryResponse) = await _mail.PostAsync("/api/v1/users/presence/query", new { users = new[] { "alice" } });
        queryResponse.Dispose();

        Assert.Equal(HttpStatusCode.Forbidden, single);
        Assert.Equal(HttpStatusCode.Forbidden, query);
        Assert.Contains("ReadPresence", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _topicsOnly.SendAsync(HttpMethod.Get, "/api/v1/users/alice/presence")).Status);
        Assert.Equal(HttpStatusCode.OK, (await _topicsOnly.PostAsync("/api/v1/users/presence/query", new { users = new[] { "alice" } })).Status);
    }
}
