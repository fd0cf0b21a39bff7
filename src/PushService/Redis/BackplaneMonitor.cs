using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.Delivery;
using StackExchange.Redis;

namespace PushService.Redis;

/// <summary>
/// Knows whether this node still receives from Redis: it publishes a heartbeat to itself every
/// second over the connection the backplane uses, and counts the backplane lost when Redis is
/// disconnected or no heartbeat has come back for <see cref="Staleness"/>. Live pushes missed
/// meanwhile are in the streams, so once the backplane is back the node asks its connections
/// to reconnect: clients then resume from their positions and nothing is silently skipped.
/// </summary>
internal sealed class BackplaneMonitor(
    RedisConnection redis,
    LocalConnections connections,
    IOptions<PushOptions> options,
    TimeProvider time,
    ILogger<BackplaneMonitor> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    // Long enough that a node starved of CPU for a few seconds does not send every client away
    // (a false alarm costs a reconnect storm), short enough to notice a silent backplane in < 10 s.
    public static readonly TimeSpan Staleness = TimeSpan.FromSeconds(8);

    private long _lastHeardTicks;
    private volatile bool _healthy;

    // When the multiplexer last lost a connection: a restart between two ticks must count too,
    // and only a heartbeat heard after it proves the subscriptions are back.
    private long _lastFailureTicks;

    /// <summary>True while the node receives what is published to Redis.</summary>
    public bool IsHealthy => _healthy;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Connect before the node takes requests: appends issued while the first connection is
        // still being made could otherwise reach Redis out of order.
        await redis.GetAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var multiplexer = await redis.GetAsync(stoppingToken).ConfigureAwait(false);
        var subscriber = multiplexer.GetSubscriber();
        multiplexer.ConnectionFailed += (_, _) => Interlocked.Exchange(ref _lastFailureTicks, time.GetUtcNow().UtcTicks);
        // The connection prefixes every channel with Push:RedisPrefix.
        var channel = RedisChannel.Literal($"heartbeat:{options.Value.NodeId}");
        var wasLost = false;
        var subscribed = false;
        // A start-up grace: the first heartbeat is still on its way.
        Interlocked.Exchange(ref _lastHeardTicks, time.GetUtcNow().UtcTicks);
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                // Once subscribed, the multiplexer re-subscribes by itself after every reconnect.
                if (!subscribed)
                {
                    await subscriber.SubscribeAsync(channel, (_, _) => Interlocked.Exchange(ref _lastHeardTicks, time.GetUtcNow().UtcTicks)).ConfigureAwait(false);
                    subscribed = true;
                }
                await subscriber.PublishAsync(channel, "ping").ConfigureAwait(false);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever the client throws in a stall or outage, it is counted below: no heartbeat
                // comes back. The monitor itself must outlive every outage.
            }
            var lastHeard = Interlocked.Read(ref _lastHeardTicks);
            var heardSinceFailure = lastHeard > Interlocked.Read(ref _lastFailureTicks);
            _healthy = multiplexer.IsConnected && heardSinceFailure && time.GetUtcNow().UtcTicks - lastHeard <= Staleness.Ticks;
            if (!_healthy && !wasLost)
            {
                wasLost = true;
                RedisLog.BackplaneLost(logger);
            }
            else if (_healthy && wasLost)
            {
                wasLost = false;
                RedisLog.BackplaneRestored(logger, connections.RequestCloseAll());
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
