using System.Globalization;
using PushService.Client;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// A node dies (SIGKILL) mid-stream while two publishers write through it and another node and
/// clients are spread over all three behind nginx: its clients reconnect elsewhere, its
/// publisher goes on elsewhere with the same ids, and every client has every notification once,
/// in order.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeCrashTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const int Notifications = 20_000;
    private const int ClientsPerNode = 3;
    private static readonly string[] Topics = ["crash-a", "crash-b", "crash-c"];

    [Fact]
    public Task KillingANodeMidStreamLosesAndDuplicatesNothingForAnyClient() => RunAsync(new(), async cluster =>
    {
        var (node1, node2, node3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        // Three clients per node; each topic has one subscriber on every node. Half the clients
        // speak MessagePack.
        var clients = cluster.Nodes.SelectMany((node, n) => Enumerable.Range(0, ClientsPerNode).Select(c => (Node: node, User: $"crash-u{n}{c}", Client: c, Protocol: (n + c) % 2 == 0 ? PushProtocol.Json : PushProtocol.MessagePack))).ToList();
        var users = clients.Select(c => c.User).ToList();
        var subscribers = await Task.WhenAll(clients.Select(c => cluster.SubscribeThroughLoadBalancerAsync($"client-{c.Node.NodeId}-{c.Client}", c.Node, c.User, [Topics[c.Client]], c.Protocol)));
        var byNode = cluster.Nodes.ToDictionary(node => node, node => subscribers.Where((_, i) => clients[i].Node == node).ToList());
        cluster.Mark($"{cluster.Subscribers.Count} clients connected through nginx");

        // To a user, a topic, or both (one publish, two streams): every stream gets writes from
        // both publishers at once, so pushes of one stream overtake each other across nodes.
        var items = Enumerable.Range(0, Notifications).Select(k => (k % 3) switch
        {
            0 => new PublishItem(Id(k), [users[k / 3 % users.Count]], [Topics[k % Topics.Length]]),
            1 => new PublishItem(Id(k), [users[k / 3 % users.Count]], []),
            _ => new PublishItem(Id(k), [], [Topics[k / 3 % Topics.Length]]),
        }).ToList();
        var options = new PublisherOptions { RatePerSecond = 650, BatchSize = 20, TimeLimit = TimeSpan.FromSeconds(60) };
        // Publisher 2 writes to the node that dies and goes on to node 3 when its connection fails.
        var publisher1 = cluster.Publisher("publisher1", [node1, node3], [.. items.Where((_, k) => k % 2 == 0)], options);
        var publisher2 = cluster.Publisher("publisher2", [node2, node3], [.. items.Where((_, k) => k % 2 == 1)], options);
        var reconnected = byNode[node2].Select(s => ReconnectedAsync(s.Client)).ToList();

        cluster.Mark($"publishing {Notifications} at {2 * options.RatePerSecond}/s");
        var publishing = Task.WhenAll(publisher1.RunAsync(), publisher2.RunAsync());
        await Task.WhenAll(publisher1.AcceptedAtLeastAsync(Notifications * 2 / 10), publisher2.AcceptedAtLeastAsync(Notifications * 2 / 10))
            .WaitAsync(TimeSpan.FromSeconds(40));
        await node2.KillAsync();
        cluster.Mark($"node2 killed (SIGKILL) after {publisher1.Accepted + publisher2.Accepted} accepted");

        await Task.WhenAll(reconnected).WaitAsync(TimeSpan.FromSeconds(30));
        cluster.Mark("node2's clients reconnected");
        await publishing.WaitAsync(TimeSpan.FromSeconds(90));
        cluster.Mark($"publishing done: {publisher1.Summary}; {publisher2.Summary}");
        publisher1.AssertAllAccepted();
        publisher2.AssertAllAccepted();
        Assert.True(publisher2.ConnectionErrors > 0, "publisher2's node was killed under it, yet no request failed.");

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(60));

        // The killed node's clients are elsewhere now; the others never moved.
        foreach (var subscriber in byNode[node2])
        {
            Assert.True(subscriber.Record.Reconnects >= 1, $"{subscriber.Name} never reconnected.");
        }
        foreach (var subscriber in byNode[node1].Concat(byNode[node3]))
        {
            Assert.Equal(0, subscriber.Record.Reconnects);
        }
        // Retries with the same ids added nothing: each stream holds exactly what was accepted.
        foreach (var stream in users.Select(u => $"user:{u}").Concat(Topics.Select(t => $"topic:{t}")))
        {
            Assert.Equal(cluster.Ledger.AcceptedFor(stream).Count, await cluster.StreamOffsetAsync(stream));
        }
    });

    private static string Id(int k) => "crash-" + k.ToString("D5", CultureInfo.InvariantCulture);

    private static Task ReconnectedAsync(PushClient client)
    {
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += _ =>
        {
            reconnected.TrySetResult();
            return Task.CompletedTask;
        };
        return reconnected.Task;
    }
}
