using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using PushService.Auth;
using PushService.Configuration;
using PushService.Diagnostics;
using PushService.Fanout;
using PushService.History;
using PushService.Presence;
using PushService.Protocol;

namespace PushService.Delivery;

/// <summary>
/// The subscriber hub. A connection receives its user's stream and broadcasts from the moment
/// it connects; topics are joined explicitly (Subscribe) or while resuming (Resume). Invocations
/// of one connection run one at a time (SignalR's default), so the per-connection subscription
/// set needs no lock.
/// </summary>
[Authorize(Policy = AuthPolicies.Subscriber)]
internal sealed class NotificationHub(
    HistoryReader streams,
    IHistoryStore history,
    IPresenceStore presence,
    LocalConnections connections,
    LocalAudience audience,
    PushMetrics metrics,
    TopicAccess topics,
    IOptions<LimitsOptions> limits,
    ILogger<NotificationHub> logger) : Hub
{
    private static readonly object SubscriptionsKey = new();

    public override async Task OnConnectedAsync()
    {
        connections.Add(Context);
        try
        {
            await presence.AddAsync(UserId, Context.ConnectionId, Context.ConnectionAborted);
        }
        catch (StoreUnavailableException ex)
        {
            // Presence must not keep anyone from connecting; the next renewal records it.
            PresenceLog.RecordFailed(logger, ex);
            return;
        }
        await RefuseOverConnectionLimitAsync();
    }

    /// <summary>
    /// Counts the user's connections after recording this one, so that with Redis the limit holds
    /// across the cluster. Two connections racing for the last place may both be refused, never
    /// both admitted. SignalR skips OnDisconnectedAsync after a refusal, so this one undoes itself.
    /// </summary>
    private async Task RefuseOverConnectionLimitAsync()
    {
        var max = limits.Value.MaxConnectionsPerUser;
        int count;
        try
        {
            count = (await presence.CountAsync([UserId], Context.ConnectionAborted))[0];
        }
        catch (StoreUnavailableException ex)
        {
            // Unknown count: let the connection in rather than refuse everyone during an outage.
            PresenceLog.RecordFailed(logger, ex);
            return;
        }
        if (count <= max)
        {
            return;
        }
        connections.Remove(Context);
        try
        {
            await presence.RemoveAsync(UserId, Context.ConnectionId, CancellationToken.None);
        }
        catch (StoreUnavailableException ex)
        {
            PresenceLog.RecordFailed(logger, ex);
        }
        metrics.ConnectionRefused();
        LimitsLog.TooManyConnections(logger, UserId, max);
        // Thrown from OnConnectedAsync, a HubException's message reaches the client in the close
        // message, and the close tells it not to reconnect.
        throw HubErrors.TooManyConnections(max);
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context);
        metrics.SubscriptionsChanged(-(ExistingSubscriptions()?.Count ?? 0));
        try
        {
            await presence.RemoveAsync(UserId, Context.ConnectionId);
        }
        catch (StoreUnavailableException ex)
        {
            // The lease runs out on its own.
            PresenceLog.RecordFailed(logger, ex);
        }
    }

    private string UserId => Subject.Of(Context.User)!;

    /// <summary>Joins the topic and answers its current position: everything after it will arrive.</summary>
    public async Task<StreamPositionMessage> Subscribe(string topic)
    {
        Join(topic);
        var target = Target.ForTopic(topic);
        var position = await HubErrors.GuardAsync(() => history.GetPositionAsync(target.Stream, Context.ConnectionAborted));
        return new StreamPositionMessage { Stream = target.Stream, Offset = position.Offset, Epoch = position.Epoch };
    }

    public Task Unsubscribe(string topic)
    {
        if (!NameRules.IsValidTopic(topic))
        {
            throw HubErrors.InvalidTopic();
        }
        if (ExistingSubscriptions()?.Remove(topic) == true)
        {
            metrics.SubscriptionsChanged(-1);
            audience.Leave(Context.ConnectionId, topic);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// After a (re)connect: joins the topic streams named, and answers per stream what was missed
    /// since each position — always for the user's own stream and broadcast too.
    /// </summary>
    public async Task<ResumeResultMessage> Resume(StreamPositionMessage[]? positions)
    {
        positions ??= [];
        if (positions.Length > limits.Value.MaxSubscriptionsPerConnection + 2)
        {
            throw HubErrors.TooManySubscriptions(limits.Value.MaxSubscriptionsPerConnection);
        }
        var own = Target.ForUser(UserId);
        var requested = new Dictionary<string, StreamPositionMessage>(StringComparer.Ordinal)
        {
            [own.Stream] = new() { Stream = own.Stream },
            [StreamIds.Broadcast] = new() { Stream = StreamIds.Broadcast },
        };
        foreach (var position in positions)
        {
            if (position?.Stream is { } stream)
            {
                requested[stream] = position;
            }
        }
        var answers = new List<Task<StreamRecoveryMessage>>(requested.Count);
        foreach (var position in requested.Values)
        {
            // Joining comes before reading, so nothing published in between can fall through.
            var (target, refusal) = Admit(position);
            answers.Add(target is not null
                ? streams.RecoverAsync(target, position.Offset, position.Epoch ?? "", Context.ConnectionAborted)
                : Task.FromResult(new StreamRecoveryMessage { Stream = position.Stream, Error = refusal }));
        }
        var recovered = await HubErrors.GuardAsync(() => Task.WhenAll(answers));
        return new ResumeResultMessage { User = UserId, Streams = recovered };
    }

    /// <summary>A page of one readable stream, newest first: an inbox view.</summary>
    public async Task<HistoryPageMessage> History(string stream, long? before, int limit)
    {
        if (limit is < 1 or > HistoryReader.MaxPageSize || before is < 1)
        {
            throw HubErrors.InvalidStream($"limit must be 1-{HistoryReader.MaxPageSize} and before at least 1");
        }
        var target = Target.Parse(stream ?? "") ?? throw HubErrors.InvalidStream("not a stream name");
        if (!CanRead(target))
        {
            throw HubErrors.ForbiddenStream(target.Stream);
        }
        return await HubErrors.GuardAsync(() => streams.PageAsync(target, before, limit, Context.ConnectionAborted));
    }

    /// <summary>Checks a Resume position and joins its topic; the error code instead when refused.</summary>
    private (Target? Target, string? Refusal) Admit(StreamPositionMessage position)
    {
        var target = Target.Parse(position.Stream);
        if (target is null)
        {
            return (null, HubErrors.InvalidStreamCode);
        }
        if (target.Topic is { } topic)
        {
            try
            {
                Join(topic);
            }
            catch (HubException ex)
            {
                return (null, HubErrors.CodeOf(ex));
            }
        }
        else if (!CanRead(target))
        {
            return (null, HubErrors.ForbiddenCode);
        }
        return (target, null);
    }

    private bool CanRead(Target target) => target switch
    {
        { User: { } user } => string.Equals(user, UserId, StringComparison.Ordinal),
        { Topic: { } topic } => topics.CanSubscribe(Context.User, topic),
        _ => true,
    };

    private void Join(string topic)
    {
        if (!NameRules.IsValidTopic(topic))
        {
            throw HubErrors.InvalidTopic();
        }
        if (!topics.CanSubscribe(Context.User, topic))
        {
            DeliveryLog.SubscriptionRefused(logger, UserId, topic);
            throw HubErrors.Forbidden(topic);
        }
        var subscriptions = Subscriptions();
        if (subscriptions.Contains(topic))
        {
            return;
        }
        if (subscriptions.Count >= limits.Value.MaxSubscriptionsPerConnection)
        {
            throw HubErrors.TooManySubscriptions(limits.Value.MaxSubscriptionsPerConnection);
        }
        // Local and immediate: this node hears every topic already (Fanout/), so nothing published
        // after this line can miss the connection.
        audience.Join(Context.ConnectionId, topic);
        subscriptions.Add(topic);
        metrics.SubscriptionsChanged(1);
    }

    // Most connections never subscribe: reading must not allocate their set.
    private HashSet<string>? ExistingSubscriptions()
        => Context.Items.TryGetValue(SubscriptionsKey, out var existing) ? (HashSet<string>)existing! : null;

    private HashSet<string> Subscriptions()
    {
        if (Context.Items.TryGetValue(SubscriptionsKey, out var existing))
        {
            return (HashSet<string>)existing!;
        }
        var created = new HashSet<string>(StringComparer.Ordinal);
        Context.Items[SubscriptionsKey] = created;
        return created;
    }
}
