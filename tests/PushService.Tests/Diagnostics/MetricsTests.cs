using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Diagnostics;

/// <summary>/metrics moves by exactly what happened: publishes by outcome, pushes, replays, connections, subscriptions.</summary>
/// <remarks>
/// OpenTelemetry listens to meters by name across the process, so with several in-process nodes
/// alive one scrape would mix them: this class runs alone (in production a node is a process).
/// </remarks>
[Collection(IsolatedCollection.Name)]
public sealed partial class MetricsTests : SingleNodeTest
{
    private async Task<string> ScrapeAsync() => await Publisher.GetStringAsync("/metrics").DefaultTimeout();

    private static double Value(string scrape, string series)
    {
        var match = Regex.Match(scrape, "^" + Regex.Escape(series) + @"(?:\{[^}]*\})? ([0-9.eE+-]+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static double Labelled(string scrape, string name, string label)
    {
        var match = Regex.Match(scrape, "^" + Regex.Escape(name) + @"\{[^}]*" + Regex.Escape(label) + @"[^}]*\} ([0-9.eE+-]+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task CountersMoveByWhatHappened()
    {
        var before = await ScrapeAsync();
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("mia", "news"));
        await using var second = await OfficialClient.ConnectAsync(Node, TestTokens.For("mia"), messagePack: true);
        await client.SubscribeAsync("news");

        string last = "";
        for (var i = 0; i < 5; i++)
        {
            last = await Publisher.PublishAsync(new { type = "t", users = new[] { "mia" }, topics = new[] { "news" }, id = "m-" + i });
        }
        await Publisher.PublishAsync(new { type = "t", users = new[] { "mia" }, id = "m-0" });
        await Publisher.PostRawAsync("/api/v1/notifications", PublishHelpers.Json("""{"type":"bad type","users":["mia"]}"""));
        await client.WaitForAsync(last);
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "mia" } });
        await client.WaitForAsync(sentinel);
        await second.WaitForAsync(sentinel);

        var after = await ScrapeAsync();
        Assert.Equal(6, Labelled(after, "push_publishes_total", "outcome=\"accepted\"") - Labelled(before, "push_publishes_total", "outcome=\"accepted\""));
        Assert.Equal(1, Labelled(after, "push_publishes_total", "outcome=\"replayed\"") - Labelled(before, "push_publishes_total", "outcome=\"replayed\""));
        Assert.Equal(1, Labelled(after, "push_publishes_total", "outcome=\"rejected\"") - Labelled(before, "push_publishes_total", "outcome=\"rejected\""));
        // Every publish the key was allowed (the replay too), not the invalid one.
        Assert.Equal(7, Labelled(after, "push_key_publishes_total", "key=\"tests\"") - Labelled(before, "push_key_publishes_total", "key=\"tests\""));
        // Five publishes to two streams each, the replayed one pushed again at its position, the sentinel.
        Assert.Equal(12, Value(after, "push_pushed_total") - Value(before, "push_pushed_total"));
        // Per connection: the subscribed one gets user and topic copies (10), the other the user
        // copies (5); the replay and the sentinel reach both (4).
        Assert.Equal(19, Value(after, "push_deliveries_total") - Value(before, "push_deliveries_total"));
        Assert.Equal(2, Value(after, "push_connections"));
        Assert.Equal(1, Value(after, "push_subscriptions"));
        Assert.Equal(7, Value(after, "push_publish_duration_seconds_count") - Value(before, "push_publish_duration_seconds_count"));
        // Publish to send: once per notification written here (every pushed one reached someone), not per connection.
        Assert.Equal(12, Value(after, "push_delivery_latency_seconds_count") - Value(before, "push_delivery_latency_seconds_count"));
        Assert.Equal(0, Value(after, "push_draining"));
        Assert.Contains("signalr_server_active_connections", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeliveryLatencyIsRecordedOncePerNotificationWrittenNotPerConnection()
    {
        await using var first = await OfficialClient.ConnectAsync(Node, TestTokens.For("lea"));
        await using var second = await OfficialClient.ConnectAsync(Node, TestTokens.For("lea"));
        await using var third = await OfficialClient.ConnectAsync(Node, TestTokens.For("lea"), messagePack: true);
        var before = await ScrapeAsync();

        for (var i = 0; i < 4; i++)
        {
            await Publisher.PublishAsync(new { type = "t", users = new[] { "lea" } });
        }
        // Stored and pushed, but no connection of this node is its audience: nothing sent, nothing measured.
        await Publisher.PublishAsync(new { type = "t", users = new[] { "nobody-here" } });
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "lea" } });
        await first.WaitForAsync(sentinel);
        await second.WaitForAsync(sentinel);
        await third.WaitForAsync(sentinel);

        var after = await ScrapeAsync();
        Assert.Equal(15, Value(after, "push_deliveries_total") - Value(before, "push_deliveries_total"));
        Assert.Equal(5, Value(after, "push_delivery_latency_seconds_count") - Value(before, "push_delivery_latency_seconds_count"));
    }

    [Fact]
    public async Task ConnectionsAreCountedByTransport()
    {
        await using var webSockets = await OfficialClient.ConnectAsync(Node, TestTokens.For("tia"));
        await using var sse = await OfficialClient.ConnectAsync(Node, TestTokens.For("tia"), HttpTransportType.ServerSentEvents);
        await using var longPolling = await OfficialClient.ConnectAsync(Node, TestTokens.For("tia"), HttpTransportType.LongPolling);
        await using var secondLongPolling = await OfficialClient.ConnectAsync(Node, TestTokens.For("tia"), HttpTransportType.LongPolling);

        var scrape = await ScrapeAsync();
        Assert.Equal(1, Labelled(scrape, "signalr_server_active_connections", "signalr_transport=\"web_sockets\""));
        Assert.Equal(1, Labelled(scrape, "signalr_server_active_connections", "signalr_transport=\"server_sent_events\""));
        Assert.Equal(2, Labelled(scrape, "signalr_server_active_connections", "signalr_transport=\"long_polling\""));
        Assert.Equal(4, Value(scrape, "push_connections"));
    }
}
