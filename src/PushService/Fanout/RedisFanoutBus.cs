using System.Text.Json;
using System.Text.Json.Serialization;
using PushService.Protocol;
using PushService.Redis;
using StackExchange.Redis;

namespace PushService.Fanout;

/// <summary>
/// Topic and broadcast notifications travel on one Redis channel (<c>{Push:RedisPrefix}:fanout</c>)
/// that every node subscribes to for its whole life, read through one ordered queue, so one
/// topic's notifications reach each node in the order they were published. One channel rather
/// than one per topic: joining a topic is then local and instant (no SUBSCRIBE round trip,
/// nothing to race when the last member leaves), at the price of each node hearing topics it has
/// no member of — a PUBLISH costs Redis well under a microsecond per node, and Redis Cluster
/// forwards every PUBLISH to every shard anyway.
/// </summary>
internal sealed class RedisFanoutBus(RedisConnection redis, FanoutDispatcher dispatcher, ILogger<RedisFanoutBus> logger)
    : BackgroundService, IFanoutBus
{
    // The connection adds Push:RedisPrefix to every channel.
    private static readonly RedisChannel Channel = RedisChannel.Literal("fanout");
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private volatile bool _subscribed;

    /// <summary>True once this node hears the channel; the multiplexer re-subscribes after reconnects.</summary>
    public bool IsSubscribed => _subscribed;

    public async Task PublishAsync(NotificationMessage message)
    {
        var multiplexer = await redis.GetAsync().ConfigureAwait(false);
        var payload = JsonSerializer.SerializeToUtf8Bytes(message, FanoutJsonContext.Default.NotificationMessage);
        await multiplexer.GetSubscriber().PublishAsync(Channel, payload).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Subscribing before the subscription connection is up would fail fast and, unlike
                // a registered subscription, not be retried by the multiplexer: wait for it.
                var multiplexer = await redis.GetSubscribedAsync(stoppingToken).ConfigureAwait(false);
                var queue = await multiplexer.GetSubscriber().SubscribeAsync(Channel).ConfigureAwait(false);
                queue.OnMessage(Receive);
                _subscribed = true;
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                FanoutLog.SubscribeFailed(logger, ex);
                await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void Receive(ChannelMessage received)
    {
        try
        {
            var message = JsonSerializer.Deserialize((byte[])received.Message!, FanoutJsonContext.Default.NotificationMessage)
                ?? throw new JsonException("The message is empty.");
            dispatcher.Enqueue(message);
        }
        catch (JsonException ex)
        {
            FanoutLog.UnreadableMessage(logger, ex);
        }
    }
}

/// <summary>A notification on the fan-out channel: the wire message as JSON.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NotificationMessage))]
internal sealed partial class FanoutJsonContext : JsonSerializerContext;
