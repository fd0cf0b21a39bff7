using System.Globalization;
using PushService.Client;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// Three publishers on three nodes write to the same ten topics at once: offsets stay a gapless,
/// strictly increasing count per stream, the same at every client, and each stream's length is
/// exactly what was accepted for it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConcurrentPublisherTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const int Notifications = 30_000;
    private static readonly string[] Topics = [.. Enumerable.Range(0, 10).Select(i => $"busy-{i}")];

    [Fact]
    public Task ThreePublishersOnThreeNodesKeepEveryTopicStreamInOneOrder() => RunAsync(new(), async cluster =>
    {
        // On each node one client on all ten topics and one on three of them.
        await Task.WhenAll(cluster.Nodes.SelectMany((node, n) => new[]
        {
            cluster.SubscribeAsync($"all-{node.NodeId}", node, $"busy-all{n}", Topics, n % 2 == 0 ? PushProtocol.MessagePack : PushProtocol.Json),
            cluster.SubscribeAsync($"some-{node.NodeId}", node, $"busy-some{n}", [.. Topics.Skip(n * 3).Take(3)], n % 2 == 0 ? PushProtocol.Json : PushProtocol.MessagePack),
        }));

        var options = new PublisherOptions { RatePerSecond = 700, BatchSize = 20, TimeLimit = TimeSpan.FromSeconds(60) };
        var publishers = cluster.Nodes.Select((node, p) => cluster.Publisher(
            $"publisher-{node.NodeId}", [node],
            [.. Enumerable.Range(0, Notifications / 3).Select(k => new PublishItem(
                $"busy-{p}-{k.ToString("D5", CultureInfo.InvariantCulture)}", [], [Topics[(k * 7 + p * 3) % Topics.Length]]))],
            options)).ToList();
        cluster.Mark($"publishing {Notifications} at {3 * options.RatePerSecond}/s from 3 nodes");
        await Task.WhenAll(publishers.Select(p => p.RunAsync())).WaitAsync(TimeSpan.FromSeconds(90));
        cluster.Mark("publishing done: " + string.Join("; ", publishers.Select(p => p.Summary)));
        publishers.ForEach(p => p.AssertAllAccepted());

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(60));

        var offsets = cluster.Subscribers.ToDictionary(
            s => s.Name, s => s.Record.Deliveries.GroupBy(d => d.Stream).ToDictionary(g => g.Key, g => g.Select(d => d.Offset).ToList()));
        foreach (var topic in Topics)
        {
            var stream = $"topic:{topic}";
            var accepted = cluster.Ledger.AcceptedFor(stream).Count;
            Assert.Equal(accepted, await cluster.StreamOffsetAsync(stream));
            foreach (var subscriber in cluster.Subscribers.Where(s => s.Topics.Contains(topic)))
            {
                // Gapless from 1: exactly the accepted count, in order.
                Assert.Equal(Enumerable.Range(1, accepted).Select(i => (long)i), offsets[subscriber.Name][stream]);
                Assert.Equal(accepted, subscriber.Client.Positions[stream].Offset);
            }
        }
    });
}
