using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Client;

namespace PushService.Bench;

/// <summary>
/// S subscribers spread round-robin over the nodes, connected a few at a time, told to a
/// <see cref="DeliveryRecorder"/>: raw MessagePack WebSocket clients (default) or the SDK's
/// <see cref="PushClient"/> (WebSockets, MessagePack, no reconnects so that a drop shows as loss).
/// </summary>
internal sealed class SubscriberSet : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _clients = [];
    private readonly List<RawSubscriber> _raw = [];
    private readonly HttpMessageInvoker _invoker = new(Dialer.Handler());
    private readonly CancellationTokenSource _stop = new();
    private Task _keepAlive = Task.CompletedTask;

    public int Count => _clients.Count;

    /// <summary>Connected raw subscribers still open (the SDK's are not counted).</summary>
    public int Open => _raw.Count(r => r.IsOpen);

    /// <summary>A note when raw subscribers closed during the run, with the first reason.</summary>
    public string? ClosedNote()
    {
        var closed = _raw.Where(r => !r.IsOpen).ToList();
        return closed.Count == 0 ? null : $"{closed.Count} subscriber connections closed during the run; first: {closed[0].CloseReason}";
    }

    /// <param name="userOf">The user id of subscriber i.</param>
    /// <param name="topic">A topic every subscriber joins, or null.</param>
    public static async Task<SubscriberSet> ConnectAsync(
        Topology topology, BenchOptions options, int count, Func<int, string> userOf, string? topic, INotificationSink sink, CancellationToken cancellationToken)
    {
        var set = new SubscriberSet();
        try
        {
            var tokens = new Tokens(topology.SigningKey);
            var clients = new IAsyncDisposable?[count];
            var started = Stopwatch.StartNew();
            try
            {
                await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (i, ct) =>
                {
                    var node = topology.Nodes[i % topology.Nodes.Count];
                    // The bare server does not check tokens; it only reads their subject, to send to users.
                    var token = tokens.For(userOf(i), topic is null ? [] : [topic]);
                    clients[i] = options.Client == "sdk"
                        ? await ConnectSdkAsync(node, token!, topic, sink, i, ct)
                        : await set.ConnectRawAsync(node, token, topic, sink, i, ct);
                });
            }
            finally
            {
                // Also on failure: whatever connected is disposed with the set.
                set._clients.AddRange(clients.OfType<IAsyncDisposable>());
                set._raw.AddRange(clients.OfType<RawSubscriber>());
            }
            Console.Error.WriteLine($"bench: {count} subscribers connected in {started.Elapsed.TotalSeconds:0.0} s");
            set._keepAlive = set.KeepAliveAsync();
            return set;
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }
    }

    private async Task<RawSubscriber> ConnectRawAsync(Uri node, string? token, string? topic, INotificationSink sink, int index, CancellationToken cancellationToken)
    {
        var subscriber = await RawSubscriber.ConnectAsync(node, token, _invoker, sink, index, 4096, cancellationToken);
        if (topic is not null)
        {
            await subscriber.InvokeAsync("Subscribe", topic, cancellationToken);
        }
        return subscriber;
    }

    private static async Task<IAsyncDisposable> ConnectSdkAsync(Uri node, string token, string? topic, INotificationSink sink, int index, CancellationToken cancellationToken)
    {
        var client = new PushClient(new PushClientOptions
        {
            Url = node,
            AccessTokenProvider = () => Task.FromResult<string?>(token),
            Transports = HttpTransportType.WebSockets,
            Protocol = PushProtocol.MessagePack,
            ReconnectPolicy = null,
        });
        client.OnAny(n =>
        {
            var now = Stopwatch.GetTimestamp();
            if (n.Data.ValueKind == JsonValueKind.Object)
            {
                sink.OnNotification(index, Long(n.Data, "t"), Long(n.Data, "s"), n.Data.TryGetProperty("k", out var k) ? k.GetInt64() : -1, now);
            }
        });
        try
        {
            await client.StartAsync(cancellationToken);
            if (topic is not null)
            {
                await client.SubscribeAsync(topic, cancellationToken);
            }
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private static long Long(JsonElement data, string name) => data.TryGetProperty(name, out var value) ? value.GetInt64() : 0;

    /// <summary>Raw clients ping every 15 s, as SignalR clients do by default: the server drops a connection silent for 30 s.</summary>
    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(15));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                foreach (var subscriber in _raw)
                {
                    await subscriber.PingAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _keepAlive;
        await Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (c, _) => await c.DisposeAsync());
        _invoker.Dispose();
        _stop.Dispose();
    }
}
