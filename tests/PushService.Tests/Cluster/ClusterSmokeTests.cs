using System.Net;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>The harness itself: a cluster from cluster.sh (node processes, nginx from the operator's config), the ledger, /metrics.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSmokeTests(ITestOutputHelper output) : ClusterScenario(output)
{
    [Fact]
    public Task ThreeNodeProcessesBehindNginxDeliverAPublishToClientsOnEveryNode() => RunAsync(new(), async cluster =>
    {
        var subscribers = new List<LedgerSubscriber>();
        foreach (var (node, i) in cluster.Nodes.Select((n, i) => (n, i)))
        {
            subscribers.Add(await cluster.SubscribeThroughLoadBalancerAsync($"client{i}", node, $"smoke-user{i}", ["smoke-news"]));
        }
        // The access log names the node that answered each client's negotiation (the WebSocket
        // requests are logged when they end).
        var negotiations = (await File.ReadAllLinesAsync(cluster.LoadBalancer.AccessLogPath)).Where(l => l.Contains("/negotiate", StringComparison.Ordinal)).ToList();
        foreach (var node in cluster.Nodes)
        {
            Assert.Contains(negotiations, l => l.Contains($"upstream={node.Address}/200", StringComparison.Ordinal));
        }

        using var http = cluster.Nodes[0].CreatePublisherClient();
        var items = new List<PublishItem>
        {
            new("smoke-1", [.. subscribers.Select(s => s.User)], ["smoke-news"]),
            new("smoke-2", [], [], Broadcast: true),
        };
        foreach (var item in items)
        {
            cluster.Ledger.Attempted(item.Id, item.Streams);
            Assert.Equal(item.Id, await http.PublishAsync(item.ToJson()));
            cluster.Ledger.Accepted(item.Id);
        }

        await cluster.AssertEveryoneCompleteAsync(TaskTimeoutExtensions.DefaultTimeoutSpan);
        Assert.Equal(1, await cluster.StreamOffsetAsync("topic:smoke-news"));

        // Each node's /metrics counts what it did: five streams pushed (three users, the topic,
        // broadcast) by the publishing node; nine notifications written to connections across the
        // nodes (each client: its user copy, the topic copy, the broadcast).
        var scrapes = await Task.WhenAll(cluster.Nodes.Select(node => http.GetStringAsync(new Uri(node.Url, "/metrics"))));
        Assert.Equal(5, scrapes.Sum(s => MetricValue(s, "push_pushed_total")));
        Assert.Equal(9, scrapes.Sum(s => MetricValue(s, "push_deliveries_total")));
        Assert.All(scrapes, s => Assert.Equal(1, MetricValue(s, "push_connections")));
    });

    private static double MetricValue(string scrape, string series)
    {
        var match = System.Text.RegularExpressions.Regex.Match(scrape, "^" + System.Text.RegularExpressions.Regex.Escape(series) + @"(?:\{[^}]*\})? ([0-9.eE+-]+)", System.Text.RegularExpressions.RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public Task ATerminatedNodeRestartsOnItsPortAndItsClientResumesThere() => RunAsync(new() { Nodes = 1 }, async cluster =>
    {
        var node = cluster.Nodes[0];
        var subscriber = await cluster.SubscribeAsync("client", node, "restart-user");
        using var http = node.CreatePublisherClient();
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        subscriber.Client.Reconnected += _ => { reconnected.TrySetResult(); return Task.CompletedTask; };

        await Publish(cluster, http, new PublishItem("before", ["restart-user"], []));
        await subscriber.WaitForAllAcceptedAsync(cluster.Ledger).DefaultTimeout();
        var port = node.Port;
        await node.TerminateAsync();
        cluster.Mark("node1 terminated (SIGTERM)");
        Assert.False(node.IsRunning);
        await node.RestartAsync();
        cluster.Mark("node1 restarted");
        Assert.Equal(port, node.Port);
        await reconnected.Task.DefaultTimeout(TimeSpan.FromSeconds(30));

        await Publish(cluster, http, new PublishItem("after", ["restart-user"], []));
        await cluster.AssertEveryoneCompleteAsync(TaskTimeoutExtensions.DefaultTimeoutSpan);
    });

    private static async Task Publish(TestCluster cluster, HttpClient http, PublishItem item)
    {
        cluster.Ledger.Attempted(item.Id, item.Streams);
        var (status, body, _) = await http.PostRawAsync("/api/v1/notifications", PublishHelpers.Json(item.ToJson().ToJsonString()));
        Assert.True(status == HttpStatusCode.Accepted, $"{(int)status}: {body}");
        cluster.Ledger.Accepted(item.Id);
    }
}
