using System.Globalization;
using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.Delivery;
using StackExchange.Redis;

namespace PushService.Redis;

/// <summary>
/// Knows whether this node still receives from Redis. It publishes a numbered heartbeat to itself
/// every second (over the interactive connection; it comes back on the subscription connection
/// that carries every push to this node) and is healthy while the latest heartbeat was heard less
/// than <see cref="Staleness"/> ago and no loss is outstanding. Health is read from the time the
/// last heartbeat was heard, never from a publish in progress, so a stalled Redis is noticed
/// within <see cref="Staleness"/> plus one heartbeat, whatever the client's timeouts.
/// <para>
/// Redis delivers one connection's messages in order, so a heartbeat heard with none missing
/// before it proves the pushes between them arrived too: a late backplane (a stall, a node short
/// of CPU) leaves connections alone. A loss — the connection failed, or a heartbeat never came
/// while a later one did — means pushes may be missing: once the node hears itself again it asks
/// its connections to reconnect, and clients resume the missed pushes from the streams.
/// </para>
/// </summary>
internal sealed class BackplaneMonitor(
    RedisConnection redis,
    LocalConnections connections,
    IOptions<PushOptions> options,
    TimeProvider time,
    ILogger<BackplaneMonitor> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    // Long enough that a node starved of CPU for a few seconds does not flap unready, short enough
    // that staleness plus one heartbeat interval stays under the 10 s the README promises.
    public static readonly TimeSpan Staleness = TimeSpan.FromSeconds(8);

    // Tells this process's heartbeats from those of another process given the same node id.
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly Lock _gate = new();
    private long _sent;
    private long _heard;
    private long _heardAtTicks;
    // Healthy needs a heartbeat numbered at least this one heard: every loss moves it past what
    // was sent before, so that only a heartbeat through the restored subscription counts.
    private long _required = 1;
    private long _losses;
    // Heartbeats heard after a silence longer than the staleness, none missing: the node was unready, lost nothing.
    private long _lateReturns;
    private string _lossReason = "";

    /// <summary>True while the node receives what is published to Redis.</summary>
    public bool IsHealthy
    {
        get
        {
            lock (_gate)
            {
                return _heard >= _required && time.GetUtcNow().UtcTicks - _heardAtTicks <= Staleness.Ticks;
            }
        }
    }

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
        // Any failed connection counts: messages on the subscription connection are lost while it
        // is down, and a connection can fail and come back between two heartbeats.
        multiplexer.ConnectionFailed += OnConnectionFailed;
        try
        {
            await Task.WhenAll(BeatAsync(multiplexer.GetSubscriber(), stoppingToken), WatchAsync(stoppingToken)).ConfigureAwait(false);
        }
        finally
        {
            multiplexer.ConnectionFailed -= OnConnectionFailed;
        }
    }

    /// <summary>Subscribes, then publishes a numbered heartbeat every second; may wait on Redis as long as it likes.</summary>
    private async Task BeatAsync(ISubscriber subscriber, CancellationToken stoppingToken)
    {
        // The connection prefixes every channel with Push:RedisPrefix.
        var channel = RedisChannel.Literal($"heartbeat:{options.Value.NodeId}");
        ChannelMessageQueue? queue = null;
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                // Once subscribed, the multiplexer re-subscribes by itself after every reconnect.
                if (queue is null)
                {
                    queue = await subscriber.SubscribeAsync(channel).ConfigureAwait(false);
                    // A queue hands messages over one at a time, in the order Redis sent them.
                    queue.OnMessage(OnHeartbeat);
                }
                long number;
                lock (_gate)
                {
                    number = ++_sent;
                }
                await subscriber.PublishAsync(channel, string.Create(CultureInfo.InvariantCulture, $"{_instance}:{number}")).ConfigureAwait(false);
            }
            catch (Exception) when (!stoppingToken.IsCancellationRequested)
            {
                // A heartbeat that failed to go out counts only by its absence: if it never comes
                // while a later one does, it was missed; a timed-out one Redis ran late is not.
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Logs changes of health and asks connections to resume after a loss, once healthy again.</summary>
    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        var (handledLosses, handledLate) = (0L, 0L);
        var everHealthy = false;
        var reportedLost = false;
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            long losses, late;
            string reason;
            lock (_gate)
            {
                (losses, late, reason) = (_losses, _lateReturns, _lossReason);
            }
            if (!IsHealthy)
            {
                if (everHealthy && !reportedLost)
                {
                    RedisLog.BackplaneLost(logger, losses != handledLosses ? reason : $"no heartbeat heard for {Staleness.TotalSeconds} s");
                    reportedLost = true;
                }
                continue;
            }
            // Counted, not sampled: a loss that came and went between two ticks, with the node
            // never looking unready, may still have cost pushes.
            if (losses != handledLosses)
            {
                RedisLog.BackplaneRestored(logger, reason, connections.RequestCloseAll());
            }
            else if (late != handledLate && everHealthy)
            {
                RedisLog.BackplaneCaughtUp(logger);
            }
            (handledLosses, handledLate) = (losses, late);
            reportedLost = false;
            everHealthy = true;
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
        => RecordLoss($"the {e.ConnectionType.ToString().ToLowerInvariant()} connection failed ({e.FailureType})", required: null);

    private void OnHeartbeat(ChannelMessage message)
    {
        var text = (string?)message.Message;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon < 0 || !text!.AsSpan(0, colon).SequenceEqual(_instance)
            || !long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return;
        }
        var missed = 0L;
        lock (_gate)
        {
            if (number <= _heard)
            {
                return;
            }
            var now = time.GetUtcNow().UtcTicks;
            // Before the first heartbeat heard nothing was promised, so nothing can be missing.
            if (_heard > 0)
            {
                missed = number - _heard - 1;
                if (missed == 0 && now - _heardAtTicks > Staleness.Ticks)
                {
                    _lateReturns++;
                }
            }
            _heard = number;
            _heardAtTicks = now;
        }
        if (missed > 0)
        {
            // This heartbeat came through, so the subscription works again: it satisfies the loss.
            RecordLoss(string.Create(CultureInfo.InvariantCulture, $"{missed} heartbeats missed"), required: number);
        }
    }

    private void RecordLoss(string reason, long? required)
    {
        lock (_gate)
        {
            _losses++;
            _lossReason = reason;
            _required = Math.Max(_required, required ?? _sent + 1);
        }
    }
}
