using Microsoft.Extensions.DependencyInjection;
using PushService.Fanout;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Delivery;

/// <summary>
/// The node's own record of who is in which topic must follow connections exactly: a connection
/// that leaves or goes away keeps nothing behind (no memory per departed connection, no writes
/// to closed ones), and a topic another member still holds stays.
/// </summary>
public sealed class LocalAudienceTests : SingleNodeTest
{
    [Fact]
    public async Task ConnectionsThatGoAwayLeaveTheirTopicsAndNothingIsKeptForThem()
    {
        var audience = Node.Services.GetRequiredService<LocalAudience>();
        var anna = await OfficialClient.ConnectAsync(Node, TestTokens.For("anna", "a", "b"));
        await using var ben = await OfficialClient.ConnectAsync(Node, TestTokens.For("ben", "a"));
        await anna.SubscribeAsync("a");
        await anna.SubscribeAsync("b");
        await ben.SubscribeAsync("a");
        Assert.Equal(2, audience.Members("a")!.Count);
        Assert.Single(audience.Members("b")!);

        await anna.DisposeAsync();

        await Eventually.TrueAsync(() => Task.FromResult(audience.Members("b") is null));
        Assert.Single(audience.Members("a")!);
        Assert.Single(audience.Everyone);
        // What is published to the topics now reaches the member left, and only it.
        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { "a", "b" } });
        Assert.Equal("a", (await ben.WaitForAsync(id)).Topic);

        await ben.UnsubscribeAsync("a");
        Assert.Null(audience.Members("a"));
        Assert.Single(audience.Everyone);
    }
}
