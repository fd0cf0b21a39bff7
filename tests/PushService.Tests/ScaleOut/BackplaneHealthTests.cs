using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using PushService.Client;
using PushService.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PushService.Tests.ScaleOut;

/// <summary>
/// A node that can no longer receive from Redis — its subscription gone silent while publishes
/// succeed, its subscription connection cut, or Redis stalled — reports unready within the 10 s
/// the README promises, and an SDK client that missed a push meanwhile gets it once the node
/// hears Redis again, without any later push on that stream to reveal the gap. Each test owns its
/// redis-server; the node uses the client library's default timeouts.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "Disposed in IAsyncLifetime.DisposeAsync, which xunit calls.")]
public sealed class BackplaneHealthTests(ITestOutputHelper output) : IAsyncLifetime
{
    // The product's promise (README, Guarantees): unready within 10 s of losing the backplane.
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(10);
    // RedisLog: back after a loss (connections asked to resume); back with every heartbeat, late.
    private const int Restored = 1211;
    private const int CaughtUp = 1213;

    private readonly RedisServer _redis = new();
    private readonly string _user = "bea-" + Guid.NewGuid().ToString("N")[..6];
    private readonly Inbox<Notification> _seen = new();
    private readonly LogCapture _logs = new();
    private readonly TaskCompletionSource _reconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private RedisSubscriptionProxy _proxy = null!;
    private PushNode _node = null!;
    private HttpClient _http = null!;
    private PushClient _client = null!;
    private IDisposable? _handler;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _proxy = new RedisSubscriptionProxy(_redis.Port);
    }

    public async Task DisposeAsync()
    {
        _handler?.Dispose();
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        _http?.Dispose();
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        await _proxy.DisposeAsync();
        await _redis.DisposeAsync();
        _logs.Dispose();
    }

    [Fact]
    public async Task ANodeWhoseSubscriptionGoesSilentIsUnreadyWithinTenSecondsAndItsClientGetsWhatItMissed()
    {
        await StartAsync(_proxy.ConnectionString);
        var first = await PublishAsync();
        await _seen.WaitForAsync(n => n.Id == first);

        // From now on Redis's messages to this node vanish; its publishes still succeed.
        _proxy.Drop = _ => true;
        var silent = Stopwatch.StartNew();
        var missed = await PublishAsync();
        await _proxy.Dropped.WaitForAsync(frame => frame.Contains(missed, StringComparison.Ordinal));

        await Eventually.TrueAsync(async () => await ReadinessAsync() != HttpStatusCode.OK, Promise + TimeSpan.FromSeconds(5));
        var unreadyAfter = silent.Elapsed;
        output.WriteLine($"unready {unreadyAfter.TotalSeconds:F2} s after the subscription went silent");
        Assert.True(unreadyAfter < Promise, $"Unready only {unreadyAfter.TotalSeconds:F1} s after the subscription went silent.");

        _proxy.Drop = null;
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.OK);
        // Nothing else is published on the stream: the node itself must send the client to resume.
        await _seen.WaitForAsync(n => n.Id == missed);
        await _reconnected.Task.DefaultTimeout();
        await AssertExactlyOnceAsync(first, missed);
    }

    [Fact]
    public async Task AHeartbeatMissedInASilenceShorterThanTheStalenessStillSendsTheClientToResume()
    {
        await StartAsync(_proxy.ConnectionString);
        var first = await PublishAsync();
        await _seen.WaitForAsync(n => n.Id == first);

        _proxy.Drop = _ => true;
        var missed = await PublishAsync();
        await _proxy.Dropped.WaitForAsync(frame => frame.Contains(missed, StringComparison.Ordinal));
        // A heartbeat lost in the same silence: by that the node can tell that something is missing.
        await _proxy.Dropped.WaitForAsync(IsHeartbeat);
        _proxy.Drop = null;

        await _seen.WaitForAsync(n => n.Id == missed);
        await _reconnected.Task.DefaultTimeout();
        await AssertExactlyOnceAsync(first, missed);
    }

    [Fact]
    public async Task ASubscriptionConnectionCutAndBackBetweenTwoHeartbeatsStillSendsTheClientToResume()
    {
        await StartAsync(_proxy.ConnectionString);
        var first = await PublishAsync();
        await _seen.WaitForAsync(n => n.Id == first);

        // Only this push is lost, as in the moment a connection breaks: every heartbeat arrives.
        var missed = "cut-" + Guid.NewGuid().ToString("N");
        _proxy.Drop = frame => frame.Contains(missed, StringComparison.Ordinal);
        await PublishAsync(missed);
        await _proxy.Dropped.WaitForAsync(frame => frame.Contains(missed, StringComparison.Ordinal));
        _proxy.Drop = null;
        Assert.True(_proxy.CutSubscriptions() > 0);

        await _seen.WaitForAsync(n => n.Id == missed);
        await _reconnected.Task.DefaultTimeout();
        await AssertExactlyOnceAsync(first, missed);
    }

    /// <summary>
    /// The other side of the 8 s staleness: a backplane that is only late (a stall, a node short of
    /// CPU) makes the node unready for a while but loses nothing, so it must not send every client
    /// away — a reconnect storm for nothing.
    /// </summary>
    [Fact]
    public async Task ALateBackplaneMakesTheNodeUnreadyButKeepsItsClientConnectedAndTheLatePushArrivesLive()
    {
        await StartAsync(_proxy.ConnectionString);
        var first = await PublishAsync();
        await _seen.WaitForAsync(n => n.Id == first);

        _proxy.HoldMessages();
        var late = await PublishAsync();
        await _proxy.Held.WaitForAsync(frame => frame.Contains(late, StringComparison.Ordinal));
        await Eventually.TrueAsync(async () => await ReadinessAsync() != HttpStatusCode.OK, Promise + TimeSpan.FromSeconds(5));
        await _proxy.ReleaseAsync();

        await _seen.WaitForAsync(n => n.Id == late);
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.OK);
        // The monitor's own verdict, once it has looked: every heartbeat came, nothing to resume.
        await Eventually.TrueAsync(() => Task.FromResult(_logs.Entries.Any(e => e.EventId.Id == CaughtUp)));
        Assert.DoesNotContain(_logs.Entries, e => e.EventId.Id == Restored);
        await AssertExactlyOnceAsync(first, late);
        Assert.False(_reconnected.Task.IsCompleted, "The client was sent to reconnect though nothing was lost.");
    }

    [Fact]
    public async Task ANodeIsUnreadyWithinTenSecondsOfARedisStallWithTheClientsDefaultTimeoutsAndItsClientRecovers()
    {
        // Straight to Redis, with StackExchange.Redis's default sync and async timeouts (5 s).
        await StartAsync($"127.0.0.1:{_redis.Port},abortConnect=false");
        var first = await PublishAsync();
        await _seen.WaitForAsync(n => n.Id == first);

        _redis.Pause();
        var stalled = Stopwatch.StartNew();
        // Published into the stall: answered late or refused, and then retried with its id.
        var inStall = "stall-" + Guid.NewGuid().ToString("N");
        var publishing = TryPublishAsync(inStall);

        await Eventually.TrueAsync(async () => await ReadinessAsync() != HttpStatusCode.OK, Promise + TimeSpan.FromSeconds(5));
        var unreadyAfter = stalled.Elapsed;
        output.WriteLine($"unready {unreadyAfter.TotalSeconds:F2} s after Redis stalled");
        Assert.True(unreadyAfter < Promise, $"Unready only {unreadyAfter.TotalSeconds:F1} s after Redis stalled.");

        _redis.Continue();
        if (await publishing.DefaultTimeout() != HttpStatusCode.Accepted)
        {
            await PublishAsync(inStall);
        }
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.OK);
        await _seen.WaitForAsync(n => n.Id == inStall);
        await AssertExactlyOnceAsync(first, inStall);
    }

    private async Task StartAsync(string redis)
    {
        _node = await PushNode.StartAsync(PushNode.DefaultSettings(redis, "health-" + Guid.NewGuid().ToString("N")[..8]), configure: _logs.AddTo);
        _http = _node.CreatePublisherClient();
        _http.Timeout = TimeSpan.FromSeconds(30);
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.OK);
        _client = new PushClient(new PushClientOptions
        {
            Url = _node.Url,
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For(_user)),
        });
        _handler = _client.OnAny(_seen.Add);
        _client.Reconnected += _ =>
        {
            _reconnected.TrySetResult();
            return Task.CompletedTask;
        };
        await _client.StartAsync().DefaultTimeout();
    }

    private Task<string> PublishAsync(string? id = null)
        => _http.PublishAsync(new { id = id ?? Guid.NewGuid().ToString("N"), type = "t", users = new[] { _user } });

    private async Task<HttpStatusCode> TryPublishAsync(string id)
    {
        using var response = await _http.PostAsJsonAsync("/api/v1/notifications", new { id, type = "t", users = new[] { _user } });
        return response.StatusCode;
    }

    /// <summary>A later push as a sentinel: everything before it arrived once, in order.</summary>
    private async Task AssertExactlyOnceAsync(params string[] expected)
    {
        var sentinel = await PublishAsync();
        await _seen.WaitForAsync(n => n.Id == sentinel);
        Assert.Equal([.. expected, sentinel], _seen.Items.Select(n => n.Id));
        Assert.Equal(Enumerable.Range(1, expected.Length + 1).Select(i => (long)i), _seen.Items.Select(n => n.Offset));
    }

    private async Task<HttpStatusCode> ReadinessAsync()
    {
        using var response = await _http.GetAsync("/healthz/ready");
        return response.StatusCode;
    }

    private static bool IsHeartbeat(string frame) => frame.Contains(":heartbeat:", StringComparison.Ordinal);
}
