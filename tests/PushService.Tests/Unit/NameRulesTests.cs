using PushService.Delivery;

namespace PushService.Tests.Unit;

public sealed class NameRulesTests
{
    [Theory]
    [InlineData("news", true)]
    [InlineData("stock:ACME", true)]
    [InlineData("org/team-1@eu_west.2", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("a b", false)]
    [InlineData("news*", false)]
    [InlineData("new\u0000s", false)]
    [InlineData("caf\u00e9", false)]
    [InlineData("news\n", false)]
    public void Topics(string? topic, bool valid) => Assert.Equal(valid, NameRules.IsValidTopic(topic));

    [Fact]
    public void TopicLengthIsBounded()
    {
        Assert.True(NameRules.IsValidTopic(new string('a', 200)));
        Assert.False(NameRules.IsValidTopic(new string('a', 201)));
    }

    [Theory]
    [InlineData("email.new", true)]
    [InlineData("chat:message-v2_1", true)]
    [InlineData("email/new", false)]
    [InlineData("", false)]
    public void Types(string type, bool valid) => Assert.Equal(valid, NameRules.IsValidType(type));

    [Theory]
    [InlineData("alice", true)]
    [InlineData("alice@example.com", true)]
    [InlineData("Zoë Ünïcode", true)]
    [InlineData("", false)]
    [InlineData("a\u0001", false)]
    [InlineData("a\u007f", false)]
    public void UserIds(string user, bool valid) => Assert.Equal(valid, NameRules.IsValidUserId(user));
}
