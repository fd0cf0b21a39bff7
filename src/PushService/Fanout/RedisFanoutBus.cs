using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PushService.History;
using PushService.Protocol;
using PushService.Redis;
using StackExchange.Redis;

namespace PushService.Fanout;

/// <summary>
/// Notifications over Redis pub/sub. A user's travel on the user's own channel
/// (<c>{Push:RedisPrefix}:user:{id}</c>), which a node subscribes to while it holds a connection of
/// that user. Topics and broadcasts travel on one channel (<c>{Push:RedisPrefix}:fanout</c>) that
/// every node subscribes to for its whole life: joining a topic is then local and instant (no
/// SUBSCRIBE round trip, nothing to race when the last member leaves), at the price of each node
/// hearing topics it has no member of; Redis Cluster forwards every PUBLISH to every shard anyway.
/// Each channel is read through an ordered queue, so one stream's notifications reach a node in
/// the order they were published. The history store publishes them itself, in the append script
/// (<see cref="PushOnAppend"/>): store and push are one Redis round trip.
/// </summary>
internal sealed class RedisFanoutBus(RedisConnection redis, FanoutDispatcher dispatcher, ILogger<RedisFanoutBus> logger)
    : BackgroundService, IFanoutBus
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, UserChannel> _users = new(StringComparer.Ordinal);
    private readonly Lock _usersGate = new();
    // Completes once this node hears the topic channel (the multiplexer re-subscribes after
    // reconnects); canceled if the node stops first.
    private readonly TaskCompletionSource _fanoutHeard = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once this node hears the topic channel.</summary>
    public bool IsSubscribed => _fanoutHeard.Task.IsCompletedSuccessfully;

    // Names without the prefix, for the multiplexer (it adds Push:RedisPrefix to every channel);
    // the append script publishes on the full name.
    private static string ChannelOf(NotificationMessage message) => message.User is { } user ? UserChannelName(user) : "fanout";

    private static string UserChannelName(string user) => "user:" + user;

    public LivePush? PushOnAppend(NotificationMessage template)
        => new(redis.Prefix + ":" + ChannelOf(template), JsonSerializer.SerializeToUtf8Bytes(template, FanoutJsonContext.Default.NotificationMessage));

    /// <summary>
    /// Only for a store that did not publish as it appended (the Redis store always does): the same
    /// payload the append script would have sent, so that receivers read one format.
    /// </summary>
    public async Task PublishAsync(NotificationMessage message)
    {
        var multiplexer = await redis.GetAsync().ConfigureAwait(false);
        var head = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{message.Offset}:{message.CreatedAt.ToBinary()}:{message.Epoch}\n"));
        byte[] payload = [.. head, .. JsonSerializer.SerializeToUtf8Bytes(message, FanoutJsonContext.Default.NotificationMessage)];
        await multiplexer.GetSubscriber().PublishAsync(RedisChannel.Literal(ChannelOf(message)), payload).ConfigureAwait(false);
    }

    /// <remarks>
    /// Also waits for the topic channel: a connection goes on only once the node hears everything
    /// addressed to it, as SignalR's backplane made connections wait for its own subscriptions.
    /// Load balancers skip an unready node; a client that comes anyway waits here.
    /// </remarks>
    public async Task JoinUserAsync(string user)
    {
        await _fanoutHeard.Task.ConfigureAwait(false);
        Task<ChannelMessageQueue> subscribed;
        lock (_usersGate)
        {
            if (!_users.TryGetValue(user, out var channel))
            {
                channel = new UserChannel();
                _users[user] = channel;
            }
            channel.Connections++;
            // Every connection of the user waits for the same SUBSCRIBE: none may go on before
            // the node hears the user. A failed one is tried again by the next connection.
            if (channel.Subscribed is null || channel.Subscribed.IsFaulted || channel.Subscribed.IsCanceled)
            {
                channel.Subscribed = SubscribeAsync(UserChannelName(user));
            }
            subscribed = channel.Subscribed;
        }
        await subscribed.ConfigureAwait(false);
    }

    public async Task LeaveUserAsync(string user)
    {
        Task<ChannelMessageQueue>? subscribed;
        lock (_usersGate)
        {
            if (!_users.TryGetValue(user, out var channel) || --channel.Connections > 0)
            {
                return;
            }
            _users.Remove(user);
            subscribed = channel.Subscribed;
        }
        try
        {
            // A connection of the user arriving meanwhile has a queue of its own on the same
            // channel: the multiplexer unsubscribes from Redis only when no queue is left.
            var queue = await subscribed!.ConfigureAwait(false);
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Redis is gone or never subscribed: nothing to hear, and a new connection subscribes afresh.
            FanoutLog.UnsubscribeFailed(logger, ex);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // Subscribing before the subscription connection is up would fail fast and, unlike
                    // a registered subscription, not be retried by the multiplexer: wait for it.
                    await redis.GetSubscribedAsync(stoppingToken).ConfigureAwait(false);
                    await SubscribeAsync("fanout").ConfigureAwait(false);
                    _fanoutHeard.TrySetResult();
                    return;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    FanoutLog.SubscribeFailed(logger, ex);
                    await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            // Stopped before hearing it: connections waiting for it end with the node.
            _fanoutHeard.TrySetCanceled(stoppingToken);
        }
    }

    private async Task<ChannelMessageQueue> SubscribeAsync(string channel)
    {
        var multiplexer = await redis.GetAsync().ConfigureAwait(false);
        var queue = await multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(channel)).ConfigureAwait(false);
        queue.OnMessage(Receive);
        return queue;
    }

    private void Receive(ChannelMessage received)
    {
        try
        {
            dispatcher.Enqueue(Read((byte[])received.Message!));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IndexOutOfRangeException)
        {
            FanoutLog.UnreadableMessage(logger, ex);
        }
    }

    /// <summary>
    /// <c>"offset:createdAt:epoch\n"</c>, then the message whose position it gives
    /// (<see cref="LivePush"/>): the append script fills in what the publisher could not know.
    /// </summary>
    internal static NotificationMessage Read(byte[] payload)
    {
        var newline = payload.AsSpan().IndexOf((byte)'\n');
        if (newline < 0)
        {
            throw new FormatException("A live message without its position.");
        }
        // An epoch never contains ':' (HistoryRules.NewEpoch).
        var position = Encoding.ASCII.GetString(payload, 0, newline).Split(':');
        var template = JsonSerializer.Deserialize(payload.AsSpan(newline + 1), FanoutJsonContext.Default.NotificationMessage)
            ?? throw new JsonException("The message is empty.");
        return new NotificationMessage
        {
            Id = template.Id,
            Type = template.Type,
            Data = template.Data,
            CreatedAt = DateTime.FromBinary(long.Parse(position[1], CultureInfo.InvariantCulture)),
            User = template.User,
            Topic = template.Topic,
            Broadcast = template.Broadcast,
            Stream = template.Stream,
            Offset = long.Parse(position[0], CultureInfo.InvariantCulture),
            Epoch = position[2],
        };
    }

    /// <summary>The node's subscription to one user's channel, shared by that user's connections here.</summary>
    private sealed class UserChannel
    {
        public int Connections { get; set; }

        public Task<ChannelMessageQueue>? Subscribed { get; set; }
    }
}

/// <summary>A notification on a Redis channel: the wire message as JSON.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NotificationMessage))]
internal sealed partial class FanoutJsonContext : JsonSerializerContext;
