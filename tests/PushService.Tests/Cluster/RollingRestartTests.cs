using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Client;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// A rolling restart while notifications flow: each node in turn gets SIGTERM, drains (its
/// clients reconnect elsewhere through nginx, with jitter) and starts again. The clients use every
/// transport, so Server-Sent Events and long polling depend on nginx's stickiness while their home
/// node leaves and returns. Nobody loses or repeats a notification, each node exits within its
/// drain timeout, every client of a draining node is connected to another node before it starts
/// again, and those clients come back spread out in time, not as one spike.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RollingRestartTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const int Notifications = 3_000;
    /// <summary>Per node, one client of each: MessagePack where the transport can carry binary.</summary>
    private static readonly (HttpTransportType Transport, PushProtocol Protocol)[] Clients =
    [
        (HttpTransportType.WebSockets, PushProtocol.MessagePack),
        (HttpTransportType.ServerSentEvents, PushProtocol.Json),
        (HttpTransportType.LongPolling, PushProtocol.MessagePack),
    ];

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly string[] Topics = ["roll-a", "roll-b", "roll-c"];

    [Fact]
    public Task ARollingRestartUnderLoadLosesAndRepeatsNothingAndSpreadsTheReconnects() => RunAsync(new()
    {
        Settings = new Dictionary<string, string?> { ["Push:Drain:Timeout"] = DrainTimeout.ToString("c", CultureInfo.InvariantCulture) },
    }, async cluster =>
    {
        var clients = cluster.Nodes.SelectMany((node, n) => Clients.Select((kind, c) => (Node: node, User: $"roll-u{n}{c}", Client: c, kind.Transport, kind.Protocol))).ToList();
        var subscribers = await Task.WhenAll(clients.Select(c => cluster.SubscribeThroughLoadBalancerAsync(
            $"{c.Transport}-{c.Node.NodeId}", c.Node, c.User, [Topics[c.Client]], c.Protocol, c.Transport)));
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
        var balancer = cluster.LoadBalancer;
        var probes = new Dictionary<ServiceProcess, string>();
        foreach (var node in cluster.Nodes)
        {
            probes[node] = await balancer.AffinityKeyForAsync(node, $"probe-{node.NodeId}");
        }
        var drains = new List<(string Node, TimeSpan Sent, TimeSpan Took)>();
        foreach (var node in cluster.Nodes)
        {
            // Its clients now: those whose last connection was negotiated with it. Each node holds
            // at least its own three (clients only move when their node leaves).
            var before = Stopwatch.GetTimestamp();
            var leaving = subscribers.Where(s => s.Negotiations.LastAccepted()?.Upstream == node.Address).ToList();
            Assert.True(Clients.All(kind => leaving.Any(s => s.Transport == kind.Transport)), $"{node.NodeId} holds {string.Join(", ", leaving.Select(s => s.Name))} before its drain: not every transport.");

            var sent = clock.Elapsed;
            await node.TerminateAsync();
            var took = clock.Elapsed - sent;
            drains.Add((node.NodeId, sent, took));
            cluster.Mark($"{node.NodeId} drained and exited in {took.TotalSeconds:F2} s ({publisher.Accepted} accepted)");
            // Before it starts again, every client it had is connected to another node.
            try
            {
                await Eventually.TrueAsync(() => Task.FromResult(leaving.All(s => s.Client.State == PushConnectionState.Connected
                    && s.Negotiations.LastAccepted(since: before) is { } moved && moved.Upstream != node.Address)), TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                throw new Xunit.Sdk.XunitException($"Not every client of {node.NodeId} reconnected to another node while it was down:{Environment.NewLine}"
                    + string.Join(Environment.NewLine, leaving.Select(s => $"{s.Name}: {s.Client.State}; negotiations {s.Negotiations}")));
            }
            cluster.Mark($"{node.NodeId}'s clients moved: " + string.Join(", ", leaving.Select(s =>
                $"{s.Name} → {cluster.Nodes.Single(n => n.Address == s.Negotiations.LastAccepted(since: before)!.Upstream).NodeId}")));
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
