using System.Diagnostics;
using System.Globalization;
using PushService.Client;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// Redis restarts (SIGKILL, then a new process on the same port) or stalls (SIGSTOP) under
/// steady publishing: nothing accepted is lost, nothing is accepted that was not stored, and
/// when the history really is gone every client is told.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisOutageTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const string Topic = "outage-news";

    // The nodes stop waiting for Redis after 1 s (RedisServer's default is 3 s): a stall of a few
    // seconds then ends some publishes with 503 and lets others wait it out.
    private const string StoreTimeout = ",asyncTimeout=1000,syncTimeout=1000";

    [Fact]
    public Task ARestartWithPersistenceLosesNoAcceptedNotificationAndAcceptsNothingWhileDown() => RunAsync(new() { AppendOnly = true }, async cluster =>
    {
        var users = await SubscribeTwoPerNodeAsync(cluster, "aof");
        var (publisher1, publisher2) = Publishers(cluster, "aof", users, 4_000, new PublisherOptions { RatePerSecond = 200, BatchSize = 5, TimeLimit = TimeSpan.FromSeconds(40) });
        var publishing = Task.WhenAll(publisher1.RunAsync(), publisher2.RunAsync());
        await Task.WhenAll(publisher1.AcceptedAtLeastAsync(600), publisher2.AcceptedAtLeastAsync(600)).WaitAsync(TimeSpan.FromSeconds(30));

        await cluster.Redis.KillAsync();
        var killedAt = Stopwatch.GetTimestamp();
        cluster.Mark($"redis killed (SIGKILL) after {cluster.Ledger.AcceptedCount} accepted");
        // Down long enough for both publishers to be refused, and then one more second of their clock.
        await Task.WhenAll(publisher1.UnavailableAsync(), publisher2.UnavailableAsync()).WaitAsync(TimeSpan.FromSeconds(15));
        await publisher1.RunningForAsync(TimeSpan.FromSeconds(1)).WaitAsync(TimeSpan.FromSeconds(15));
        var restartAt = Stopwatch.GetTimestamp();
        await cluster.Redis.RestartAsync();
        cluster.Mark($"redis restarted from its AOF; {publisher1.Unavailable + publisher2.Unavailable} × 503 so far");

        await publishing.WaitAsync(TimeSpan.FromSeconds(90));
        cluster.Mark($"publishing done: {publisher1.Summary}; {publisher2.Summary}");
        publisher1.AssertAllAccepted();
        publisher2.AssertAllAccepted();

        // Whatever was sent and answered entirely within the outage was refused.
        var duringOutage = publisher1.Attempts.Concat(publisher2.Attempts).Where(a => a.StartedTicks > killedAt && a.FinishedTicks < restartAt).ToList();
        Assert.NotEmpty(duringOutage);
        Assert.All(duringOutage, a => Assert.True(a.Status == 503, $"While Redis was down {a.Node} answered {a.Status} {a.Error}."));

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(60));
        foreach (var stream in users.Select(u => $"user:{u}").Append($"topic:{Topic}"))
        {
            Assert.Equal(cluster.Ledger.AcceptedFor(stream).Count, await cluster.StreamOffsetAsync(stream));
        }
    });

    [Fact]
    public Task ARestartWithoutPersistenceTellsEveryClientItsStreamsWereNotRecovered() => RunAsync(new() { Nodes = 2 }, async cluster =>
    {
        var users = await SubscribeTwoPerNodeAsync(cluster, "lost");
        var options = new PublisherOptions { RatePerSecond = 500, BatchSize = 10, TimeLimit = TimeSpan.FromSeconds(20) };
        var before = cluster.Publisher("before", cluster.Nodes, Items("before", users, 300, broadcastEvery: 100), options);
        await before.RunAsync();
        before.AssertAllAccepted();
        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(30));
        var epochs = cluster.Subscribers.ToDictionary(s => s.Name, s => s.Client.Positions);

        await cluster.Redis.RestartAsync();
        cluster.Mark("redis restarted empty (no persistence)");

        // Every stream a client had a position in: its user stream, the topic and broadcast.
        await Task.WhenAll(cluster.Subscribers.SelectMany(s => s.Streams.Select(stream => s.Record.WaitForRecoveryFailureAsync(stream))))
            .WaitAsync(TimeSpan.FromSeconds(45));
        cluster.Mark("every client told: not recovered");
        foreach (var subscriber in cluster.Subscribers)
        {
            foreach (var stream in subscriber.Streams)
            {
                var failure = subscriber.Record.RecoveryFailures.First(f => f.Stream == stream);
                Assert.Equal(RecoveryFailureReason.EpochChanged, failure.Reason);
                Assert.NotEqual(epochs[subscriber.Name][stream].Epoch, failure.Position.Epoch);
            }
        }

        // And it goes on in the new epoch, from offset 1.
        var after = cluster.Publisher("after", cluster.Nodes, Items("after", users, 300, broadcastEvery: 100), options);
        await after.RunAsync();
        after.AssertAllAccepted();
        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(30), allowRecoveryFailures: true);
        foreach (var subscriber in cluster.Subscribers.Where(s => s.Topics.Contains(Topic)))
        {
            var topic = subscriber.Record.Deliveries.Where(d => d.Stream == $"topic:{Topic}" && d.Id.StartsWith("after-", StringComparison.Ordinal)).ToList();
            Assert.Equal(1, topic[0].Offset);
            Assert.Equal(cluster.Ledger.AcceptedFor($"topic:{Topic}").Count(id => id.StartsWith("after-", StringComparison.Ordinal)), topic[^1].Offset);
        }
    });

    /// <remarks>
    /// 3 s is shorter than the nodes' backplane staleness (8 s): clients stay connected and fill
    /// gaps live. 10 s is longer: every node reports unready during the stall; once Redis
    /// continues, what it held back arrives live, and a node that lost a heartbeat or a
    /// connection meanwhile asks its clients to reconnect and resume.
    /// </remarks>
    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    public Task AStallLosesNothingAndPublishesInItSucceedLateOrAreRefused(int seconds) => RunAsync(new() { RedisOptions = StoreTimeout }, async cluster =>
    {
        var users = await SubscribeTwoPerNodeAsync(cluster, "stall");
        var (publisher1, publisher2) = Publishers(cluster, "stall", users, 5_000, new PublisherOptions { RatePerSecond = 250, TimeLimit = TimeSpan.FromSeconds(40) });
        var publishing = Task.WhenAll(publisher1.RunAsync(), publisher2.RunAsync());
        await Task.WhenAll(publisher1.AcceptedAtLeastAsync(750), publisher2.AcceptedAtLeastAsync(750)).WaitAsync(TimeSpan.FromSeconds(30));

        await cluster.Redis.PauseAsync();
        var pausedAt = Stopwatch.GetTimestamp();
        cluster.Mark($"redis stopped (SIGSTOP) after {cluster.Ledger.AcceptedCount} accepted");
        // By the publisher's own clock, publishing into the stall all along.
        await publisher1.RunningForAsync(TimeSpan.FromSeconds(seconds)).WaitAsync(TimeSpan.FromSeconds(30));
        // Before the script sends SIGCONT: a publish sent until then was sent into the stall.
        var continuedAt = Stopwatch.GetTimestamp();
        await cluster.Redis.ResumeAsync();
        cluster.Mark("redis continued (SIGCONT)");

        await publishing.WaitAsync(TimeSpan.FromSeconds(90));
        cluster.Mark($"publishing done: {publisher1.Summary}; {publisher2.Summary}");
        publisher1.AssertAllAccepted();
        publisher2.AssertAllAccepted();

        // The publishes sent into the stall: each either waited it out (202 after SIGCONT) or was refused.
        var inStall = publisher1.Attempts.Concat(publisher2.Attempts).Where(a => a.StartedTicks > pausedAt && a.StartedTicks < continuedAt).ToList();
        Assert.NotEmpty(inStall);
        var late = inStall.Count(a => a.Status == 202 && a.FinishedTicks > continuedAt);
        var refused = inStall.Count(a => a.Status == 503);
        cluster.Mark($"sent into the stall: {inStall.Count}; 202 after it: {late}; 503: {refused}; other: {inStall.Count - late - refused}");
        Assert.All(inStall, a => Assert.True(a.Status == 503 || (a.Status == 202 && a.FinishedTicks > continuedAt),
            $"A publish sent into the stall to {a.Node} ended {a.Status} {a.Error} {(a.FinishedTicks < continuedAt ? "before" : "after")} SIGCONT."));

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(60));
        foreach (var stream in users.Select(u => $"user:{u}").Append($"topic:{Topic}"))
        {
            Assert.Equal(cluster.Ledger.AcceptedFor(stream).Count, await cluster.StreamOffsetAsync(stream));
        }
    });

    /// <summary>
    /// A publish to a quiet stream sent into a stall: the node gives up waiting for Redis and
    /// answers 503, but Redis runs the append once it continues — the notification is stored,
    /// though never pushed. The publisher's retry is answered "already accepted". Accepted means
    /// delivered to the connected client: now, not when its stream next moves (it may never).
    /// </summary>
    [Fact]
    public Task APublishRefusedInAStallButStoredAfterItStillReachesTheClientsOfItsQuietStream() => RunAsync(new() { Nodes = 2, RedisOptions = StoreTimeout }, async cluster =>
    {
        var quiet = await cluster.SubscribeAsync("quiet", cluster.Nodes[0], "quiet-user");
        await cluster.SubscribeAsync("quiet-elsewhere", cluster.Nodes[1], "quiet-user");
        var publisher = cluster.Publisher("into-the-stall", [cluster.Nodes[1]], [new PublishItem("quiet-1", ["quiet-user"], [])],
            new PublisherOptions { RatePerSecond = 10, TimeLimit = TimeSpan.FromSeconds(30) });

        await cluster.Redis.PauseAsync();
        cluster.Mark("redis stopped (SIGSTOP)");
        var publishing = publisher.RunAsync();
        await publisher.UnavailableAsync().WaitAsync(TimeSpan.FromSeconds(15));
        await cluster.Redis.ResumeAsync();
        cluster.Mark("503 received; redis continued (SIGCONT)");
        await publishing.WaitAsync(TimeSpan.FromSeconds(30));
        publisher.AssertAllAccepted();
        var answers = publisher.Answers["quiet-1"];
        cluster.Mark($"{publisher.Summary}; the 202 says replayed: {answers[0].Replayed}");
        Assert.Equal(1, await cluster.StreamOffsetAsync("user:quiet-user"));

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(10));
        Assert.Single(quiet.Record.Deliveries);
    });

    /// <summary>Two clients per node, the first of each pair on the topic; returns the users.</summary>
    private static async Task<string[]> SubscribeTwoPerNodeAsync(TestCluster cluster, string prefix)
    {
        var clients = cluster.Nodes.SelectMany((node, n) => Enumerable.Range(0, 2).Select(c => (Node: node, User: $"{prefix}-u{n}{c}", Client: c))).ToList();
        await Task.WhenAll(clients.Select(c => cluster.SubscribeAsync(
            $"client-{c.Node.NodeId}-{c.Client}", c.Node, c.User, c.Client == 0 ? [Topic] : [], c.Client == 0 ? PushProtocol.Json : PushProtocol.MessagePack)));
        return [.. clients.Select(c => c.User)];
    }

    /// <summary>Two publishers, on node 1 and node 2, each with half the items.</summary>
    private static (SteadyPublisher, SteadyPublisher) Publishers(TestCluster cluster, string prefix, string[] users, int count, PublisherOptions options)
    {
        var items = Items(prefix, users, count);
        return (cluster.Publisher($"{prefix}-publisher1", [cluster.Nodes[0]], [.. items.Where((_, k) => k % 2 == 0)], options),
                cluster.Publisher($"{prefix}-publisher2", [cluster.Nodes[1]], [.. items.Where((_, k) => k % 2 == 1)], options));
    }

    /// <summary>
    /// A quarter to the topic, the rest spread over the users: 400/s make 100/s on the busiest
    /// stream, so what piles up in an outage of a few seconds stays well within the 1,000 a
    /// stream keeps (Push:History:Size). Past that, a client is told "not recovered" — by design.
    /// </summary>
    private static List<PublishItem> Items(string prefix, string[] users, int count, int broadcastEvery = 0) =>
        [.. Enumerable.Range(0, count).Select(k =>
        {
            var id = $"{prefix}-{k.ToString("D5", CultureInfo.InvariantCulture)}";
            return broadcastEvery > 0 && k % broadcastEvery == 0 ? new PublishItem(id, [], [], Broadcast: true)
                : k % 4 == 1 ? new PublishItem(id, [], [Topic])
                : new PublishItem(id, [users[k / 4 % users.Length]], []);
        })];
}
