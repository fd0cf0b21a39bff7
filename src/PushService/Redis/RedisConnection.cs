using Microsoft.Extensions.Options;
using PushService.Configuration;
using StackExchange.Redis;

namespace PushService.Redis;

/// <summary>
/// The node's one Redis multiplexer, shared by the history store, the backplane monitor and
/// SignalR's Redis backplane, so that all of them see the same connection state. Connects on
/// first use; while Redis is down, commands fail fast instead of queueing without bound.
/// </summary>
internal sealed class RedisConnection(IOptions<PushOptions> options, ILogger<RedisConnection> logger) : IAsyncDisposable
{
    private static readonly TimeSpan SubscriberPoll = TimeSpan.FromMilliseconds(100);

    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private IConnectionMultiplexer? _multiplexer;

    public string Prefix => options.Value.RedisPrefix;

    public async Task<IConnectionMultiplexer> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_multiplexer is { } existing)
        {
            return existing;
        }
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_multiplexer is null)
            {
                var configuration = ConfigurationOptions.Parse(options.Value.Redis);
                configuration.AbortOnConnectFail = false;
                configuration.ClientName ??= "pushservice-" + options.Value.NodeId;
                // Commands issued while disconnected fail at once rather than wait in a backlog:
                // a publisher must hear 503 promptly, not after the outage.
                configuration.BacklogPolicy = BacklogPolicy.FailFast;
                // Every channel on this connection — SignalR's backplane channels and ours — lives
                // under the prefix, so services sharing one Redis never hear each other.
                configuration.ChannelPrefix = RedisChannel.Literal(options.Value.RedisPrefix + ":");
                // Socket I/O on the .NET thread pool rather than the client's dedicated threads: one
                // thread hand-off less per command and per message, measured at 14–19 % less node
                // CPU per publish (BENCHMARKS.md). Nothing on this node blocks pool threads.
                configuration.SocketManager = SocketManager.ThreadPool;
                _multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
                RedisLog.Connecting(logger, configuration.EndPoints.Count);
            }
            return _multiplexer;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>
    /// The multiplexer once its subscription connection is up, for SignalR's backplane. SignalR
    /// subscribes to its broadcast and group-management channels once, when it first gets the
    /// connection, and never retries: with commands failing fast, a SUBSCRIBE sent before the
    /// subscription connection is established (a slow first connect, or a node started while Redis
    /// is down) would leave the node deaf to broadcasts for good. Waiting here makes hub connections
    /// wait instead, until Redis answers or the node stops.
    /// </summary>
    public async Task<IConnectionMultiplexer> GetSubscribedAsync(CancellationToken cancellationToken)
    {
        var multiplexer = await GetAsync(cancellationToken).ConfigureAwait(false);
        var subscriber = multiplexer.GetSubscriber();
        if (!subscriber.IsConnected())
        {
            RedisLog.WaitingForSubscriber(logger);
            // The multiplexer reconnects by itself; there is no event for a first connect that
            // timed out, so look again at a short interval.
            while (!subscriber.IsConnected())
            {
                await Task.Delay(SubscriberPoll, cancellationToken).ConfigureAwait(false);
            }
        }
        return multiplexer;
    }

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer is not null)
        {
            try
            {
                await _multiplexer.CloseAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // SignalR's backplane disposes the multiplexer it was given when it stops.
            }
            _multiplexer.Dispose();
        }
        _connectLock.Dispose();
    }
}
