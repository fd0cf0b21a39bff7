using System.Security.Claims;
using PushService.Auth;

namespace PushService.Tests.Unit;

public sealed class TopicPolicyTests
{
    [Theory]
    [InlineData("news", "news", true)]
    [InlineData("news", "News", false)]
    [InlineData("news", "news2", false)]
    [InlineData("stock:*", "stock:ACME", true)]
    [InlineData("stock:*", "stock:", true)]
    [InlineData("stock:*", "stock", false)]
    [InlineData("stock:*", "stocks:ACME", false)]
    [InlineData("*", "anything", true)]
    [InlineData("", "news", false)]
    [InlineData("st*ck", "stack", false)]
    public void GrantCoversTopic(string grant, string topic, bool covered)
        => Assert.Equal(covered, TopicPolicy.Covers(grant, topic));

    [Fact]
    public void AnyOfSeveralTopicsClaimsAllows()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new("sub", "alice"), new("topics", "news"), new("topics", "stock:*")]));
        Assert.True(TopicPolicy.CanSubscribe(user, "news"));
        Assert.True(TopicPolicy.CanSubscribe(user, "stock:X"));
        Assert.False(TopicPolicy.CanSubscribe(user, "sports"));
    }

    [Fact]
    public void NoTopicsClaimAllowsNothing()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new("sub", "alice")]));
        Assert.False(TopicPolicy.CanSubscribe(user, "news"));
        Assert.False(TopicPolicy.CanSubscribe(null, "news"));
    }
}
