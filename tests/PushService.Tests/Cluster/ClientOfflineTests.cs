using System.Globalization;
using PushService.Client;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>A client away while notifications arrive gets them on its return, or is told it cannot.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientOfflineTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const int WhileAway = 500;

    [Fact]
    public Task AClientOfflineWhileFiveHundredArriveGetsAllOfThemOnReconnect() => RunAsync(new() { Nodes = 2 }, async cluster =>
    {
        var (node1, node2) = (cluster.Nodes[0], cluster.Nodes[1]);
        // One app stops and starts its client; another app restarts, handing its saved positions
        // to a new client; a witness stays online throughout.
        var stopping = await cluster.SubscribeAsync("stopping", node1, "away-stop", ["away-news"]);
        var restarting = await cluster.SubscribeAsync("restarting", node1, "away-restart", ["away-news"], PushProtocol.MessagePack);
        var witness = await cluster.SubscribeAsync("witness", node2, "away-witness", ["away-news"]);
        string[] awayUsers = ["away-stop", "away-restart"];
        await PublishAsync(cluster, node2, "online", 20, awayUsers);
        await cluster.AssertEveryoneCompleteAsync(TaskTimeoutExtensions.DefaultTimeoutSpan);

        await stopping.Client.StopAsync();
        var saved = restarting.Client.Positions;
        await cluster.StopAsync(restarting);
        cluster.Mark($"two clients offline; saved positions: {string.Join(", ", saved.Select(p => $"{p.Key}={p.Value.Offset}"))}");

        await PublishAsync(cluster, node2, "away", WhileAway, awayUsers);
        await witness.WaitForAllAcceptedAsync(cluster.Ledger).DefaultTimeout();
        cluster.Mark($"{WhileAway} published while they were away; the witness has its share");

        await stopping.Client.StartAsync().DefaultTimeout();
        restarting = await cluster.SubscribeAsync("restarting", node2, "away-restart", ["away-news"], PushProtocol.MessagePack, initialPositions: saved);
        cluster.Mark("both back (one on the other node)");

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(20 + WhileAway, cluster.Ledger.AcceptedCount);
        // Each got all 500 published while it was away: its user stream's half and the topic's.
        Assert.Equal(WhileAway, stopping.Record.Deliveries.Count(d => d.Id.StartsWith("away-", StringComparison.Ordinal)));
        Assert.Equal(WhileAway, restarting.Record.Deliveries.Count(d => d.Id.StartsWith("away-", StringComparison.Ordinal)));
    });

    [Fact]
    public Task AClientOfflinePastRetentionIsToldItsStreamWasNotRecoveredAndGoesOn() => RunAsync(
        new() { Nodes = 2, Settings = new Dictionary<string, string?> { ["Push:History:Size"] = "100" } }, async cluster =>
    {
        var (node1, node2) = (cluster.Nodes[0], cluster.Nodes[1]);
        var away = await cluster.SubscribeAsync("away", node1, "retention-user");
        await PublishAsync(cluster, node2, "before", 5, ["retention-user"]);
        await cluster.AssertEveryoneCompleteAsync(TaskTimeoutExtensions.DefaultTimeoutSpan);
        var position = away.Client.Positions["user:retention-user"];
        await away.Client.StopAsync();

        // More than the stream keeps (Push:History:Size = 100).
        await PublishAsync(cluster, node2, "trimmed", 150, ["retention-user"]);
        await away.Client.StartAsync().DefaultTimeout();

        await away.Record.WaitForRecoveryFailureAsync("user:retention-user").DefaultTimeout();
        var failure = Assert.Single(away.Record.RecoveryFailures);
        Assert.Equal(RecoveryFailureReason.GapBeyondRetention, failure.Reason);
        Assert.Equal(position.Epoch, failure.Position.Epoch);
        Assert.Equal(155, failure.Position.Offset);

        // It goes on from the stream's position: what comes next is delivered, none of the trimmed
        // ones ever is (the later publishes prove it: they come after them on the same stream).
        await PublishAsync(cluster, node2, "after", 5, ["retention-user"]);
        var after = cluster.Ledger.AcceptedFor("user:retention-user").Where(id => id.StartsWith("after-", StringComparison.Ordinal));
        await away.Record.WaitForAsync("user:retention-user", after).DefaultTimeout();
        Assert.Equal(
            [.. Enumerable.Range(1, 5).Select(i => $"before-{i:D4}"), .. Enumerable.Range(1, 5).Select(i => $"after-{i:D4}")],
            away.Record.Deliveries.Select(d => d.Id));
        Assert.Equal([1, 2, 3, 4, 5, 156, 157, 158, 159, 160], away.Record.Deliveries.Select(d => d.Offset));
    });

    /// <summary>Publishes <paramref name="count"/> notifications at a steady rate, alternating between each user's stream and the topic.</summary>
    private static async Task PublishAsync(TestCluster cluster, ServiceProcess node, string prefix, int count, string[] users)
    {
        var items = Enumerable.Range(1, count).Select(i => i % 2 == 0 || users.Length == 1
            ? new PublishItem($"{prefix}-{i.ToString("D4", CultureInfo.InvariantCulture)}", users, [])
            : new PublishItem($"{prefix}-{i.ToString("D4", CultureInfo.InvariantCulture)}", [], ["away-news"])).ToList();
        var publisher = cluster.Publisher(prefix, [node], items, new PublisherOptions { RatePerSecond = 1000, BatchSize = 10, TimeLimit = TimeSpan.FromSeconds(20) });
        await publisher.RunAsync();
        publisher.AssertAllAccepted();
    }
}
