using System.Diagnostics;
using System.Net;
using System.Text.Json;
using PushService.Client;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// What operators and backends read from real node processes when something dies: presence
/// after a SIGKILLed node (leases), readiness while redis-server is down.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeHealthTests(ITestOutputHelper output) : ClusterScenario(output)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    [Fact]
    public Task AUserOfANodeKilledWithSigkillGoesOfflineWithinThePresenceLease() => RunAsync(new()
    {
        Nodes = 2,
        Settings = new Dictionary<string, string?> { ["Push:Presence:Lease"] = Lease.ToString("c", System.Globalization.CultureInfo.InvariantCulture) },
    }, async cluster =>
    {
        var (node1, node2) = (cluster.Nodes[0], cluster.Nodes[1]);
        using var http = node1.CreatePublisherClient();
        // Straight to node 2, and no reconnects: when node 2 dies the user is gone.
        var token = TestTokens.For("lease-user");
        await using var client = new PushClient(new PushClientOptions
        {
            Url = node2.Url,
            AccessTokenProvider = () => Task.FromResult<string?>(token),
            ReconnectPolicy = null,
        });
        await client.StartAsync().DefaultTimeout();

        await Eventually.TrueAsync(async () => await PresenceAsync(http, "lease-user") is (true, 1));
        cluster.Mark("node1 says lease-user is online (connected to node2)");

        await node2.KillAsync();
        var killed = Stopwatch.StartNew();
        Assert.False(node2.IsRunning);
        cluster.Mark("node2 killed (cluster.sh node kill 2: SIGKILL)");
        // Nobody removed its entry: it lapses when node 2 stops renewing it (within the lease).
        await Eventually.TrueAsync(async () => await PresenceAsync(http, "lease-user") is (false, 0), Lease + TimeSpan.FromSeconds(2));
        cluster.Mark($"node1 says lease-user is offline, {killed.Elapsed.TotalSeconds:F2} s after the kill (lease {Lease.TotalSeconds} s)");
    });

    [Fact]
    public Task ANodeIsUnreadyWhileRedisIsDownAndReadyAgainWhenItReturns() => RunAsync(new() { Nodes = 1 }, async cluster =>
    {
        var node = cluster.Nodes[0];
        using var http = new HttpClient { BaseAddress = node.Url, Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(HttpStatusCode.OK, await ReadinessAsync(http));

        await cluster.Redis.StopAsync();
        var down = Stopwatch.StartNew();
        cluster.Mark("redis-server stopped (cluster.sh redis stop)");
        await Eventually.TrueAsync(async () => await ReadinessAsync(http) == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        cluster.Mark($"node unready after {down.Elapsed.TotalSeconds:F2} s");
        Assert.True(node.IsRunning);

        await cluster.Redis.StartAsync();
        var up = Stopwatch.StartNew();
        cluster.Mark("redis-server started again (cluster.sh redis start)");
        await Eventually.TrueAsync(async () => await ReadinessAsync(http) == HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        cluster.Mark($"node ready again after {up.Elapsed.TotalSeconds:F2} s");
    });

    private static async Task<(bool Online, int Connections)> PresenceAsync(HttpClient http, string user)
    {
        using var response = await http.GetAsync($"/api/v1/users/{user}/presence");
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(user, json.RootElement.GetProperty("user").GetString());
        return (json.RootElement.GetProperty("online").GetBoolean(), json.RootElement.GetProperty("connections").GetInt32());
    }

    private static async Task<HttpStatusCode> ReadinessAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/healthz/ready");
        return response.StatusCode;
    }
}
