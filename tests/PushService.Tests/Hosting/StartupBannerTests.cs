using PushService.Tests.Infrastructure;

namespace PushService.Tests.Hosting;

/// <summary>What a node says when it starts: its id, engine and URLs; in Development also the demo and a key to publish with.</summary>
public sealed class StartupBannerTests
{
    [Fact]
    public async Task DevelopmentPrintsTheUrlTheDemoAndTheKeyToPublishWith()
    {
        var capture = new LogCapture();
        var settings = PushNode.DefaultSettings();
        settings["Push:NodeId"] = "banner-dev";
        await using var node = await PushNode.StartAsync(settings, environment: "Development", configure: capture.AddTo);
        var url = node.Url.ToString().TrimEnd('/');

        var started = Assert.Single(capture.Entries, e => e.EventId.Id == 1300);
        Assert.Contains("banner-dev", started.Message, StringComparison.Ordinal);
        Assert.Contains("memory engine", started.Message, StringComparison.Ordinal);
        Assert.Contains(url, started.Message, StringComparison.Ordinal);
        var development = Assert.Single(capture.Entries, e => e.EventId.Id == 1301);
        Assert.Contains(url + "/", development.Message, StringComparison.Ordinal);
        Assert.Contains($"X-Api-Key: {PushNode.ApiKey}", development.Message, StringComparison.Ordinal);

        // The key it prints is one the node takes.
        using var publisher = node.CreatePublisherClient();
        await publisher.PublishAsync(new { type = "banner", broadcast = true });
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task OutsideDevelopmentNoKeyIsEverPrinted(string environment)
    {
        var capture = new LogCapture();
        await using var node = await PushNode.StartAsync(environment: environment, configure: capture.AddTo);

        Assert.Single(capture.Entries, e => e.EventId.Id == 1300);
        Assert.DoesNotContain(capture.Entries, e => e.EventId.Id is 1301 or 1303);
        Assert.Empty(capture.Containing(PushNode.ApiKey));
    }
}
