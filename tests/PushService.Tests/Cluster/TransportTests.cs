using System.Globalization;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// Every transport through nginx (the operator's config) in front of three nodes, with our SDK
/// and with the official JavaScript client: what is published on any node arrives at every one.
/// Server-Sent Events and long polling need the affinity cookie to keep each connection's
/// requests on one node.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TransportTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const string Topic = "transport-news";
    private static readonly HttpTransportType[] Transports = [HttpTransportType.WebSockets, HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling];

    [Fact]
    public Task EveryTransportThroughNginxWithTheSdkAndTheJavaScriptClientGetsPublishesFromEveryNode() => RunAsync(new(), async cluster =>
    {
        var balancer = cluster.LoadBalancer;
        // The SDK: each transport on each node.
        await Task.WhenAll(Transports.SelectMany((transport, t) => cluster.Nodes.Select((node, n) =>
            cluster.SubscribeThroughLoadBalancerAsync($"sdk-{transport}-{node.NodeId}", node, $"transport-sdk{t}{n}", [Topic], transport: transport))));
        // The JavaScript client: each transport on another node; each gets 3 publishes per node
        // (its user stream, the topic, broadcast).
        var jsUsers = Transports.Select((_, t) => $"transport-js{t}").ToList();
        var expected = cluster.Nodes.Count * 3;
        var jsClients = new List<JsClient>();
        try
        {
            foreach (var (transport, t) in Transports.Select((transport, t) => (transport, t)))
            {
                var node = cluster.Nodes[t % cluster.Nodes.Count];
                var name = $"js-{transport}-{node.NodeId}";
                var key = await balancer.AffinityKeyForAsync(node, name);
                jsClients.Add(await JsClient.StartAsync(
                    name, balancer.Url, transport, TestTokens.For(jsUsers[t], Topic), key, [Topic], expected, TimeSpan.FromSeconds(60)));
            }
            cluster.Mark($"{cluster.Subscribers.Count} SDK clients and {jsClients.Count} JavaScript clients connected through nginx");
            var negotiations = (await File.ReadAllLinesAsync(balancer.AccessLogPath)).Where(l => l.Contains("/negotiate", StringComparison.Ordinal)).ToList();
            foreach (var node in cluster.Nodes)
            {
                Assert.Contains(negotiations, l => l.Contains($"upstream={node.Address}/200", StringComparison.Ordinal));
            }

            var users = cluster.Subscribers.Select(s => s.User).Concat(jsUsers).ToArray();
            var ids = new List<string>();
            foreach (var node in cluster.Nodes)
            {
                using var http = node.CreatePublisherClient();
                foreach (var item in (PublishItem[])[
                    new($"transport-{node.NodeId}-users", users, []),
                    new($"transport-{node.NodeId}-topic", [], [Topic]),
                    new($"transport-{node.NodeId}-broadcast", [], [], Broadcast: true)])
                {
                    cluster.Ledger.Attempted(item.Id, item.Streams);
                    Assert.Equal(item.Id, await http.PublishAsync(item.ToJson()));
                    cluster.Ledger.Accepted(item.Id);
                    ids.Add(item.Id);
                }
            }
            cluster.Mark($"{ids.Count} published, {ids.Count / cluster.Nodes.Count} on each node");

            await cluster.AssertEveryoneCompleteAsync(TaskTimeoutExtensions.DefaultTimeoutSpan);
            foreach (var js in jsClients)
            {
                var code = await js.WaitForExitAsync();
                Assert.True(code == 0, $"{js.Name} exited with {code}.{Environment.NewLine}{js.Tail()}");
                var received = js.Notifications;
                Assert.Equal(ids.Order(StringComparer.Ordinal), received.Select(n => (string)n["id"]!).Order(StringComparer.Ordinal));
                // Each copy names its stream and its place in it.
                var index = jsClients.IndexOf(js);
                Assert.All(received, n => Assert.Contains((string)n["stream"]!, (string[])[$"user:{jsUsers[index]}", $"topic:{Topic}", "broadcast"]));
                Assert.Equal([1, 2, 3], received.Where(n => (string?)n["topic"] == Topic).Select(n => (long)n["offset"]!).Order());
            }
            cluster.Mark("every JavaScript client received all " + expected.ToString(CultureInfo.InvariantCulture) + " and exited");
        }
        catch
        {
            foreach (var js in jsClients)
            {
                Output.WriteLine(js.Tail());
            }
            throw;
        }
        finally
        {
            await Task.WhenAll(jsClients.Select(j => j.DisposeAsync().AsTask()));
        }
    });
}
