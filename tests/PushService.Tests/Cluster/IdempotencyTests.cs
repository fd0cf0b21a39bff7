using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PushService.Client;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// Publishers repeat themselves: every publish sent twice to two nodes at once, and publishes
/// whose answer was lost retried on another node. Each is stored once, delivered once per stream,
/// and the repeat is answered with the original id and time.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IdempotencyTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private const string Topic = "idem-news";
    private const string DropUser = "idem-drop";

    [Fact]
    public Task EveryPublishSentTwiceOrRetriedAfterALostAnswerIsStoredAndDeliveredOnce() => RunAsync(new(), async cluster =>
    {
        var (node1, node2, node3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var clients = cluster.Nodes.SelectMany((node, n) => Enumerable.Range(0, 2).Select(c => (Node: node, User: $"idem-u{n}{c}", Client: c))).ToList();
        var users = clients.Select(c => c.User).ToList();
        await Task.WhenAll(clients
            .Select(c => cluster.SubscribeAsync($"client-{c.Node.NodeId}-{c.Client}", c.Node, c.User, c.Client == 0 ? [Topic] : [], c.Client == 0 ? PushProtocol.MessagePack : PushProtocol.Json))
            .Append(cluster.SubscribeAsync("dropped-answers", node3, DropUser)));

        // 1. Batches, each sent to two nodes at once; some items address a user and the topic.
        var batches = cluster.Publisher("twice-batched", cluster.Nodes, Items("batch", users, 6_000), new PublisherOptions
        {
            RatePerSecond = 1000, BatchSize = 20, SendTwice = true, TimeLimit = TimeSpan.FromSeconds(40),
        });
        // 2. Single publishes, each sent to two nodes at once; one stream each, so exactly one
        //    of the two stores it and the other is told it was replayed.
        var singles = cluster.Publisher("twice-single", [node2, node3], [.. Items("single", users, 600).Select(i => i with { Topics = i.Users.Length > 0 ? [] : i.Topics })], new PublisherOptions
        {
            RatePerSecond = 100, SendTwice = true, TimeLimit = TimeSpan.FromSeconds(40),
        });
        cluster.Mark("publishing every notification twice");
        await Task.WhenAll(batches.RunAsync(), singles.RunAsync()).WaitAsync(TimeSpan.FromSeconds(60));
        cluster.Mark($"done: {batches.Summary}; {singles.Summary}");
        batches.AssertAllAccepted();
        singles.AssertAllAccepted();
        foreach (var (id, answers) in batches.Answers.Concat(singles.Answers))
        {
            Assert.True(answers.Count == 2 && answers[0].CreatedAt == answers[1].CreatedAt,
                $"{id} was answered {string.Join(" and ", answers.Select(a => $"{a.CreatedAt:O} replayed={a.Replayed}"))}; expected two answers with one time.");
        }
        foreach (var (id, answers) in singles.Answers)
        {
            Assert.True(answers.Count(a => a.Replayed == false) == 1, $"{id}: {answers.Count(a => a.Replayed == false)} of its two answers say 'stored now'.");
        }

        // 3. Answers lost on the way back (the node answered, the publisher never heard), then
        //    retried on another node: single publishes, and one batch retried with more items.
        await using var proxy = new ResponseDroppingProxy(node1);
        using var retryHttp = node2.CreatePublisherClient();
        var dropped = Enumerable.Range(0, 50).Select(k => new PublishItem($"dropped-{k:D3}", [DropUser], k % 5 == 0 ? [Topic] : [])).ToList();
        var retried = new Dictionary<string, DateTimeOffset>();
        foreach (var item in dropped)
        {
            cluster.Ledger.Attempted(item.Id, item.Streams);
            using var lost = proxy.CreatePublisherClient();
            await Assert.ThrowsAsync<HttpRequestException>(() => lost.PostAsync("/api/v1/notifications", Json(item.ToJson())));
            var (status, replayed, body) = await PostAsync(retryHttp, "/api/v1/notifications", item.ToJson());
            Assert.True(status == HttpStatusCode.Accepted && replayed, $"The retry of {item.Id} was answered {(int)status} (replayed: {replayed}): {body}");
            Assert.Equal(item.Id, body.GetProperty("id").GetString());
            retried[item.Id] = body.GetProperty("createdAt").GetDateTimeOffset();
            cluster.Ledger.Accepted(item.Id);
        }
        var batch = Enumerable.Range(0, 150).Select(k => new PublishItem($"dropped-batch-{k:D3}", [DropUser], [])).ToList();
        foreach (var item in batch)
        {
            cluster.Ledger.Attempted(item.Id, item.Streams);
        }
        using (var lost = proxy.CreatePublisherClient())
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => lost.PostAsync("/api/v1/notifications/batch", Json(new JsonArray([.. batch.Take(100).Select(i => (JsonNode)i.ToJson())]))));
        }
        var (batchStatus, _, batchBody) = await PostAsync(retryHttp, "/api/v1/notifications/batch", new JsonArray([.. batch.Select(i => (JsonNode)i.ToJson())]));
        Assert.True(batchStatus == HttpStatusCode.Accepted, $"The batch retry was answered {(int)batchStatus}: {batchBody}");
        foreach (var (item, result) in batch.Zip(batchBody.GetProperty("items").EnumerateArray()))
        {
            Assert.Equal(item.Id, result.GetProperty("id").GetString());
            retried[item.Id] = result.GetProperty("createdAt").GetDateTimeOffset();
            cluster.Ledger.Accepted(item.Id);
        }
        Assert.Equal(dropped.Count + 1, proxy.Dropped);
        cluster.Mark($"{proxy.Dropped} answers dropped and retried elsewhere");

        // The retries were answered with what was stored the first time.
        var stored = await StoredAsync(retryHttp, DropUser);
        Assert.Equal(dropped.Count + batch.Count, stored.Count);
        foreach (var (id, createdAt) in retried)
        {
            Assert.Equal(stored[id], createdAt);
        }

        await cluster.AssertEveryoneCompleteAsync(TimeSpan.FromSeconds(60));
        foreach (var stream in users.Append(DropUser).Select(u => $"user:{u}").Append($"topic:{Topic}"))
        {
            Assert.Equal(cluster.Ledger.AcceptedFor(stream).Count, await cluster.StreamOffsetAsync(stream));
        }
    });

    private static List<PublishItem> Items(string prefix, List<string> users, int count) =>
        [.. Enumerable.Range(0, count).Select(k =>
        {
            var id = $"{prefix}-{k.ToString("D5", CultureInfo.InvariantCulture)}";
            return (k % 3) switch
            {
                0 => new PublishItem(id, [users[k / 3 % users.Count]], [Topic]),
                1 => new PublishItem(id, [users[k / 3 % users.Count]], []),
                _ => new PublishItem(id, [], [Topic]),
            };
        })];

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<(HttpStatusCode Status, bool Replayed, JsonElement Body)> PostAsync(HttpClient http, string path, JsonNode body)
    {
        using var response = await http.PostAsync(path, Json(body)).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
        return (response.StatusCode, replayed, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Every notification stored in the user's stream (through the REST history), id → createdAt.</summary>
    private static async Task<Dictionary<string, DateTimeOffset>> StoredAsync(HttpClient http, string user)
    {
        var stored = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        long? before = null;
        while (true)
        {
            var page = await GetJsonAsync(http,
                $"/api/v1/users/{user}/notifications?limit=100{(before is { } b ? $"&before={b}" : "")}");
            var notifications = page.GetProperty("notifications").EnumerateArray().ToList();
            foreach (var notification in notifications)
            {
                Assert.True(stored.TryAdd(notification.GetProperty("id").GetString()!, notification.GetProperty("createdAt").GetDateTimeOffset()),
                    $"{notification.GetProperty("id")} is stored twice in user:{user}.");
            }
            if (notifications.Count == 0)
            {
                return stored;
            }
            before = notifications[^1].GetProperty("offset").GetInt64();
        }
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
