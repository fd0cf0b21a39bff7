using System.Security.Claims;
using Microsoft.Extensions.Options;
using PushService.Auth;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

public sealed class TopicRulesConfigurationTests
{
    private static TopicAccess Access(string[]? publicTopics = null, string[]? perUser = null)
        => new(Options.Create(new TopicsOptions { Public = [.. publicTopics ?? []], PerUser = [.. perUser ?? []] }));

    private static ClaimsPrincipal User(string sub, params string[] topics)
        => new(new ClaimsIdentity([new("sub", sub), .. topics.Select(t => new Claim("topics", t))]));

    [Theory]
    [InlineData("news", "news", true)]
    [InlineData("news", "News", false)]
    [InlineData("news", "news2", false)]
    [InlineData("news:*", "news:x", true)]
    [InlineData("news:*", "News:x", false)]
    [InlineData("news:*", "news", false)]
    [InlineData("*", "anything", true)]
    public void PublicTopicsAreExactNamesOrPrefixes(string rule, string topic, bool allowed)
        => Assert.Equal(allowed, Access(publicTopics: [rule]).CanSubscribe(User("u"), topic));

    [Theory]
    [InlineData("feed:{sub}", "bob", "feed:bob", true)]
    [InlineData("feed:{sub}", "bob", "feed:Bob", false)]
    [InlineData("feed:{sub}", "Bob", "feed:bob", false)]
    [InlineData("feed:{sub}", "bob", "feed:bobby", false)]
    [InlineData("feed:{sub}", "alice@example.com", "feed:alice@example.com", true)]
    [InlineData("feed:{sub}", "*", "feed:bob", false)]
    [InlineData("feed:{sub}", "b*", "feed:bob", false)]
    [InlineData("{sub}/inbox/*", "bob", "bob/inbox/1", true)]
    [InlineData("{sub}/inbox/*", "bob", "bobby/inbox/1", false)]
    [InlineData("in:{sub}:*", "bob", "in:bob:x", true)]
    [InlineData("in:{sub}:*", "bob:x", "in:bob:x:y", false)]
    [InlineData("in:{sub}:*", "bo", "in:bob:x", false)]
    public void PerUserTopicsPutInTheSubjectLiterally(string rule, string sub, string topic, bool allowed)
        => Assert.Equal(allowed, Access(perUser: [rule]).CanSubscribe(User(sub), topic));

    [Fact]
    public void TheTokenClaimStillCountsAndNobodyIsNoOne()
    {
        var access = Access(publicTopics: ["lobby"]);
        Assert.True(access.CanSubscribe(User("u", "news"), "news"));
        Assert.False(access.CanSubscribe(User("u", "news"), "sports"));
        Assert.False(access.CanSubscribe(null, "lobby"));
    }

    [Theory]
    [InlineData("Push:Topics:Public:0", "bad topic")]
    [InlineData("Push:Topics:Public:0", "st*ck")]
    [InlineData("Push:Topics:Public:0", "**")]
    [InlineData("Push:Topics:Public:0", "")]
    [InlineData("Push:Topics:PerUser:0", "feed:bob")]
    [InlineData("Push:Topics:PerUser:0", "feed:{sub}:{sub}")]
    [InlineData("Push:Topics:PerUser:0", "feed:{sub}*")]
    [InlineData("Push:Topics:PerUser:0", "feed:{sub}-x*")]
    [InlineData("Push:Topics:PerUser:0", "feed {sub}")]
    [InlineData("Push:Topics:PerUser:0", "{sub}*")]
    public async Task ABadRuleStopsTheNodeNamingTheSetting(string key, string value)
    {
        var error = await PushNode.StartFailureAsync(new(PushNode.DefaultSettings()) { [key] = value });
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}
