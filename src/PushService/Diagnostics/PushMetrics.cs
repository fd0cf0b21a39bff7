using System.Diagnostics.Metrics;
using PushService.Delivery;
using PushService.Lifecycle;
using PushService.Redis;

namespace PushService.Diagnostics;

/// <summary>
/// The service's own OpenTelemetry instruments (meter <c>PushService</c>). Connections by
/// transport come from ASP.NET Core's <c>Microsoft.AspNetCore.Http.Connections</c> meter.
/// </summary>
internal sealed class PushMetrics
{
    public const string MeterName = "PushService";

    private readonly Counter<long> _publishes;
    private readonly Counter<long> _keyPublishes;
    private readonly Counter<long> _pushed;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _replayed;
    private readonly Counter<long> _redisErrors;
    private readonly UpDownCounter<long> _subscriptions;
    private readonly Counter<long> _slowConsumers;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _connectionsRefused;
    private readonly Histogram<double> _publishDuration;
    private readonly Histogram<double> _deliveryLatency;

    public PushMetrics(IMeterFactory meters, DrainState drain, LocalConnections connections, IServiceProvider services)
    {
        var meter = meters.Create(MeterName);
        var backplane = services.GetService<BackplaneMonitor>();
        meter.CreateObservableGauge("push.connections", () => connections.Count, "{connection}", "Hub connections on this node.");
        meter.CreateObservableGauge("push.draining", () => drain.IsDraining ? 1 : 0, description: "1 while this node drains before exiting.");
        meter.CreateObservableGauge("push.backplane.healthy", () => backplane is null || backplane.IsHealthy ? 1 : 0,
            description: "1 while this node receives what is published to Redis (always 1 in memory).");
        _publishes = meter.CreateCounter<long>("push.publishes", "{notification}",
            "Notifications offered by publishers, by outcome: accepted, replayed (a repeated id), rejected (invalid), forbidden (outside the key's scope), limited (over the key's rate), unavailable (not stored).");
        // Tagged by the configured key name (a bounded set), so a rotation can see an old key fall silent.
        _keyPublishes = meter.CreateCounter<long>("push.key.publishes", "{notification}",
            "Notifications each API key (by name) was allowed to publish: within its scope and rate.");
        _pushed = meter.CreateCounter<long>("push.pushed", "{notification}",
            "Notifications stored and pushed to a stream (one per user, topic or broadcast addressed); each node's fan-out writes it to the stream's connections there.");
        _delivered = meter.CreateCounter<long>("push.deliveries", "{notification}",
            "Notifications written to connections on this node: one per connection a push reached.");
        _replayed = meter.CreateCounter<long>("push.replayed", "{notification}",
            "Notifications delivered from history by Resume (missed while away or in a gap).");
        _redisErrors = meter.CreateCounter<long>("push.redis.errors", "{error}",
            "Redis commands that failed or did not answer in time, by operation: append (store a notification), read (history, resume, stream position), presence_write (record, remove, renew leases), presence_read (count connections), publish (live push after a store that did not publish).");
        _subscriptions = meter.CreateUpDownCounter<long>("push.subscriptions", "{subscription}",
            "Topic subscriptions held by connections on this node.");
        _slowConsumers = meter.CreateCounter<long>("push.slow_consumers", "{connection}",
            "Connections closed because their client stopped reading (Push:Limits:MaxConnectionBufferBytes unsent).");
        _rateLimited = meter.CreateCounter<long>("push.rate_limited", "{invocation}",
            "Hub invocations refused by Push:Limits:HubInvocationsPerSecond.");
        _connectionsRefused = meter.CreateCounter<long>("push.connections.refused", "{connection}",
            "Hub connections refused by Push:Limits:MaxConnectionsPerUser.");
        _publishDuration = meter.CreateHistogram<double>("push.publish.duration", "s",
            "What a publisher waits for on the node that accepts it: from the notifications being stamped to their being stored in every stream and pushed to the fan-out. Not delivery: see push.delivery.latency.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        // Wider than the publish duration: a backlog or a stalled Redis shows up here.
        _deliveryLatency = meter.CreateHistogram<double>("push.delivery.latency", "s",
            "Publish to send: from a notification's acceptance (its createdAt, stamped by the accepting node's clock) to this node writing it to its connections. Once per notification and node, not per connection; a repeated id is measured from its first acceptance.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public void Published(string outcome, int count = 1) => _publishes.Add(count, new KeyValuePair<string, object?>("outcome", outcome));

    public void KeyPublished(string keyName, int count) => _keyPublishes.Add(count, new KeyValuePair<string, object?>("key", keyName));

    public void Pushed(int count) => _pushed.Add(count);

    public void Replayed(int count) => _replayed.Add(count);

    public void Delivered(long count) => _delivered.Add(count);

    /// <summary>A Redis command that failed; <paramref name="operation"/> is one of the few names in the description.</summary>
    public void RedisError(string operation, int count = 1) => _redisErrors.Add(count, new KeyValuePair<string, object?>("operation", operation));

    public void SubscriptionsChanged(int delta) => _subscriptions.Add(delta);

    public void SlowConsumer() => _slowConsumers.Add(1);

    public void RateLimited() => _rateLimited.Add(1);

    public void ConnectionRefused() => _connectionsRefused.Add(1);

    public void PublishTook(TimeSpan elapsed) => _publishDuration.Record(elapsed.TotalSeconds);

    /// <summary>Records one notification's publish-to-send time; a clock behind the accepting node's counts as 0.</summary>
    public void DeliveryLatency(TimeSpan latency) => _deliveryLatency.Record(Math.Max(0, latency.TotalSeconds));
}
