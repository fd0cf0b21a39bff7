using System.Diagnostics;
using System.Globalization;
using PushService.Client;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// A rolling restart while notifications flow: each node in turn gets SIGTERM, drains (its
/// clients reconnect elsewhere through nginx, with jitter) and starts again. Nobody loses or
/// repeats a notification, each node exits within its drain timeout, and the clients of a
/// draining node come back spread out in time, not as one spike.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RollingRestartTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const int Notifications = 3_000;
    private const int ClientsPerNode = 3;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly string[] Topics = ["roll-a", "roll-b", "roll-c"];

    [Fact]
    public Task ARollingRestartUnderLoadLosesAndRepeatsNothingAndSpreadsTheReconnects() => RunAsync(new()
    {
        Settings = new Dictionary<string, string?> { ["Push:Drain:Timeout"] = DrainTimeout.ToString("c", CultureInfo.InvariantCulture) },
    }, async cluster =>
    {
        var clients = cluster.Nodes.SelectMany((node, n) => Enumerable.Range(0, ClientsPerNode).Select(c => (Node: node, User: $"roll-u{n}{c}", Client: c))).ToList();
        var subscribers = await Task.WhenAll(clients.Select(c => cluster.SubscribeThroughLoadBalancerAsync(
            $"client-{c.Node.NodeId}-{c.Client}", c.Node, c.User, [Topics[c.Client]], (c.Client % 2 == 0) ? PushProtocol.Json : PushProtocol.MessagePack)));
        var clock = Stopwatch.StartNew();
        var reconnects = new List<(string Client, TimeSpan At)>();
        foreach (var subscriber in subscribers)
        {
            subscriber.Client.Reconnected += _ =>
            {
                lock (reconnects)
                {
                    reconnects.Add((subscriber.Name, clock.Elapsed));
                }
                return Task.CompletedTask;
            };
        }
        cluster.Mark($"{subscribers.Length} clients connected through nginx");

        var users = clients.Select(c => c.User).ToList();
        var items = Enumerable.Range(0, Notifications).Select(k => (k % 3) switch
        {
            0 => new PublishItem(Id(k), [users[k / 3 % users.Count]], [Topics[k % Topics.Length]]),
            1 => new PublishItem(Id(k), [users[k / 3 % users.Count]], []),
            _ => new PublishItem(Id(k), [], [Topics[k / 3 % Topics.Length]]),
        }).ToList();
        // On a refused connection (the node is down) it goes on to the next node with the same ids.
        var publisher = cluster.Publisher("publisher", cluster.Nodes, items, new PublisherOptions { RatePerSecond = 150, BatchSize = 5, TimeLimit = TimeSpan.FromSeconds(60) });
        cluster.Mark($"publishing {Notifications} at 150/s");
        var publishing = publisher.RunAsync();
        await publisher.AcceptedAtLeastAsync(Notifications / 10).WaitAsync(TimeSpan.FromSeconds(20));

        // One probe key per node, to see when nginx sends that node's clients to it again.
        var balancer = cluster.LoadBalancer!;
        var probes = new Dictionary<ServiceProcess, string>();
        foreach (var node in cluster.Nodes)
        {
            probes[node] = await balancer.AffinityKeyForAsync(node, $"probe-{node.NodeId}");
        }
        var drains = new List<(string Node, TimeSpan Sent, TimeSpan Took)>();
        foreach (var node in cluster.Nodes)
        {
            var sent = clock.Elapsed;
            await node.TerminateAsync();
            var took = clock.Elapsed - sent;
            drains.Add((node.NodeId, sent, took));
            cluster.Mark($"{node.NodeId} drained and exited in {took.TotalSeconds:F2} s ({publisher.Accepted} accepted)");
            await node.RestartAsync();
            // As an operator would: the next node only once this one is back in nginx's rotation
            // (its passive health check skips a node for fail_timeout after a refused connection).
            await Eventually.TrueAsync(async () => await balancer.UpstreamForAsync(probes[node]) == node.Address, TimeSpan.FromSeconds(10));
            cluster.Mark($"{node.NodeId} started again and back in nginx's rotation");
        }
        // The last drain's window stays open: its clients may come back after the restart.
        drains.Add(("end", TimeSpan.MaxValue, TimeSpan.Zero));

        await publishing.WaitAsync(TimeSpan.FromSeconds(60));
        cluster.Mark($"publishing done: {publisher.Summary}");
        publisher.AssertAllAccepted();
        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(30));

        foreach (var (node, _, took) in drains.SkipLast(1))
        {
            // The drain timeout, plus a little for the process to exit after it.
            Assert.True(took < DrainTimeout + TimeSpan.FromSeconds(2), $"{node} took {took.TotalSeconds:F2} s to exit after SIGTERM; Push:Drain:Timeout is {DrainTimeout.TotalSeconds} s.");
        }
        List<(string Client, TimeSpan At)> moves;
        lock (reconnects)
        {
            moves = [.. reconnects];
        }
        // Every client was on a node that drained, so each reconnected at least once.
        foreach (var subscriber in subscribers)
        {
            Assert.True(subscriber.Record.Reconnects >= 1, $"{subscriber.Name} never reconnected.");
        }
        // Per drain, each reconnect's time after that drain's first one. Without jitter a node's
        // clients, asked to leave at one instant, would all be back within a few milliseconds.
        var spreads = drains.SkipLast(1).Select((drain, d) =>
        {
            var times = moves.Where(m => m.At >= drain.Sent && m.At < drains[d + 1].Sent).Select(m => m.At).Order().ToList();
            return (drain.Node, Offsets: times.Select(t => t - times.First()).ToList());
        }).ToList();
        var report = string.Join("; ", spreads.Select(s => $"{s.Node}: {string.Join(", ", s.Offsets.Select(o => $"+{o.TotalMilliseconds:F0} ms"))}"));
        cluster.Mark("reconnects after each drain, from its first: " + report);
        var later = spreads.SelectMany(s => s.Offsets.Skip(1)).ToList();
        Assert.True(later.Count >= 6, $"Expected at least 9 reconnects in three drains: {report}");
        Assert.True(later.Max() > TimeSpan.FromMilliseconds(100), $"The reconnects after each drain came as a spike: {report}");
        Assert.True(later.Count(o => o > TimeSpan.FromMilliseconds(20)) >= later.Count / 2, $"Most reconnects came within 20 ms of their drain's first: {report}");

        // The retries on other nodes added nothing: each stream holds exactly what was accepted.
        foreach (var stream in users.Select(u => $"user:{u}").Concat(Topics.Select(t => $"topic:{t}")))
        {
            Assert.Equal(cluster.Ledger.AcceptedFor(stream).Count, await cluster.StreamOffsetAsync(stream));
        }
    });

    private static string Id(int k) => "roll-" + k.ToString("D4", CultureInfo.InvariantCulture);
}
