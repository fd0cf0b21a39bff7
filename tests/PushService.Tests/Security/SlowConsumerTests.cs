using System.Diagnostics.Metrics;
using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using PushService.Delivery;
using PushService.Diagnostics;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// A client that stops reading is closed once its buffer is full, without holding back the
/// healthy client beside it on the same node and topic, and the node's memory stays bounded.
/// Alone in the process, because it measures the process's managed memory.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class SlowConsumerTests : IAsyncLifetime
{
    private const int DataChars = 32 * 1024;
    private const int AtLeast = 1000;   // 32 MiB in all: far more than any buffer on the way
    private const int AtMost = 3000;    // the bound of the loop, should the guard never trip
    private const int AfterClose = 50;

    private readonly RedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    [Fact]
    public async Task AClientThatStopsReadingIsClosedAndHoldsNobodyBack()
    {
        await using var node = await PushNode.StartAsync(new(PushNode.DefaultSettings(_redis.ConnectionString, "slow" + Guid.NewGuid().ToString("N")[..6]))
        {
            ["Push:History:Size"] = "20",
        });
        using var slowConsumers = new SlowConsumerCount(node);
        using var publisher = node.CreatePublisherClient();

        // The healthy client keeps only ids, so that what it receives does not count as the node's memory.
        var received = new HashSet<string>(StringComparer.Ordinal);
        var gate = new Lock();
        var sentinelSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var healthy = new HubConnectionBuilder()
            .WithUrl(new Uri(node.Url, HubProtocolNames.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For("healthy", "feed")))
            .Build();
        healthy.On<NotificationMessage>(HubProtocolNames.NotificationTarget, n =>
        {
            lock (gate)
            {
                received.Add(n.Id);
            }
            if (n.Type == "sentinel")
            {
                sentinelSeen.TrySetResult();
            }
        });
        await healthy.StartAsync().DefaultTimeout();
        await healthy.InvokeAsync(HubProtocolNames.Subscribe, "feed").DefaultTimeout();

        await using var slow = await RawHubSocket.ConnectAsync(node, TestTokens.For("slow", "feed"));
        var joined = await slow.CompletionAsync(await slow.InvokeAsync(HubProtocolNames.Subscribe, "feed"));
        Assert.False(joined!.Value.TryGetProperty("error", out _));
        // From here on the slow client never reads (until the end, to see its socket closed).

        var before = ManagedMemory();
        var data = new string('x', DataChars);
        var published = new List<string>();
        var afterClose = 0;
        for (var i = 0; i < AtMost && (published.Count < AtLeast || afterClose < AfterClose); i++)
        {
            published.Add(await publisher.PublishAsync(new { type = "bulk", topics = new[] { "feed" }, data }));
            afterClose += slowConsumers.Count > 0 ? 1 : 0;
            if (slow.State == WebSocketState.Open && slowConsumers.Count == 0)
            {
                // Pings keep the slow client alive by SignalR's own client timeout: only the guard may close it.
                await slow.SendAsync("""{"type":6}""");
            }
        }
        published.Add(await publisher.PublishAsync(new { type = "sentinel", topics = new[] { "feed" } }));

        // Closed by the guard, at once: without it SignalR's 10 s transport send timeout would close
        // the connection too, but the node's fan-out would wait for it until then.
        Assert.Equal(1, slowConsumers.Count);
        await sentinelSeen.Task.DefaultTimeout(TimeSpan.FromSeconds(60));
        lock (gate)
        {
            var missing = published.Count(id => !received.Contains(id));
            Assert.True(missing == 0, $"The healthy client missed {missing} of {published.Count} notifications.");
        }
        // The server dropped the slow connection (only the healthy one is left) and its socket ends.
        await Eventually.TrueAsync(() => Task.FromResult(node.Services.GetRequiredService<LocalConnections>().Count == 1));
        await slow.ReadToEndAsync();
        Assert.NotEqual(WebSocketState.Open, slow.State);
        Assert.Equal(HubConnectionState.Connected, healthy.State);

        // 32+ MiB went through; what stays is history (20 entries), buffers and pools.
        var grown = ManagedMemory() - before;
        Assert.True(grown < 16 * 1024 * 1024, $"Managed memory grew by {grown / 1024 / 1024} MiB while {published.Count} notifications of {DataChars / 1024} KiB went out.");
    }

    private static long ManagedMemory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Listens to push.slow_consumers of one node's meter.</summary>
    private sealed class SlowConsumerCount : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public SlowConsumerCount(PushNode node)
        {
            var factory = node.Services.GetRequiredService<IMeterFactory>();
            _ = node.Services.GetRequiredService<PushMetrics>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == PushMetrics.MeterName && instrument.Meter.Scope == factory && instrument.Name == "push.slow_consumers")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
