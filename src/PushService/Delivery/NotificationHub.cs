using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using PushService.Auth;
using PushService.Configuration;

namespace PushService.Delivery;

/// <summary>
/// The subscriber hub. A connection receives its user's stream from the moment it connects;
/// topics are joined and left explicitly. Invocations of one connection run one at a time
/// (SignalR's default), so the per-connection subscription set needs no lock.
/// </summary>
[Authorize(Policy = AuthPolicies.Subscriber)]
internal sealed class NotificationHub(IOptions<LimitsOptions> limits, ILogger<NotificationHub> logger) : Hub
{
    private static readonly object SubscriptionsKey = new();

    public async Task Subscribe(string topic)
    {
        if (!NameRules.IsValidTopic(topic))
        {
            throw HubErrors.InvalidTopic();
        }
        if (!TopicPolicy.CanSubscribe(Context.User, topic))
        {
            DeliveryLog.SubscriptionRefused(logger, Context.UserIdentifier, topic);
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
        await Groups.AddToGroupAsync(Context.ConnectionId, StreamNames.TopicGroup(topic), Context.ConnectionAborted);
        subscriptions.Add(topic);
    }

    public async Task Unsubscribe(string topic)
    {
        if (!NameRules.IsValidTopic(topic))
        {
            throw HubErrors.InvalidTopic();
        }
        var subscriptions = Subscriptions();
        if (subscriptions.Remove(topic))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, StreamNames.TopicGroup(topic), Context.ConnectionAborted);
        }
    }

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
