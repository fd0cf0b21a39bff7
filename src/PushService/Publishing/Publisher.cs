using Microsoft.AspNetCore.SignalR;
using PushService.Delivery;
using PushService.Protocol;

namespace PushService.Publishing;

/// <summary>
/// The one publish path, whatever the transport that asked (REST today, the hub later).
/// It fixes the id and time, then sends once per stream: one send per user, per topic, or to
/// all. Each send is serialised once per hub protocol by SignalR and, with Redis configured,
/// is one PUBLISH that every node fans out to its own connections.
/// </summary>
/// <remarks>
/// The next step of this path stores each notification in its streams' history before it is
/// sent, so that an accepted notification can always be replayed; callers already await the
/// whole publish before they answer.
/// </remarks>
internal sealed class Publisher(IHubContext<NotificationHub> hub, TimeProvider time, ILogger<Publisher> logger)
{
    public async Task<PublishResponse> PublishAsync(Notification notification, CancellationToken cancellationToken = default)
    {
        var sends = new List<Task>();
        var accepted = Send(notification, sends);
        await AwaitSendsAsync(sends, cancellationToken).ConfigureAwait(false);
        return accepted;
    }

    /// <summary>Publishes in request order; every send is queued before any is awaited.</summary>
    public async Task<IReadOnlyList<PublishResponse>> PublishBatchAsync(IReadOnlyList<Notification> notifications, CancellationToken cancellationToken = default)
    {
        var sends = new List<Task>();
        var accepted = new PublishResponse[notifications.Count];
        for (var i = 0; i < notifications.Count; i++)
        {
            accepted[i] = Send(notifications[i], sends);
        }
        await AwaitSendsAsync(sends, cancellationToken).ConfigureAwait(false);
        return accepted;
    }

    private PublishResponse Send(Notification notification, List<Task> sends)
    {
        var id = notification.Id ?? Guid.CreateVersion7().ToString();
        var createdAt = time.GetUtcNow().UtcDateTime;
        // Once accepted, a send is not cancelled with the request: the publisher may have gone,
        // but the notification must still reach its subscribers.
        foreach (var user in notification.Users)
        {
            sends.Add(hub.Clients.User(user).SendAsync(HubProtocolNames.NotificationTarget, Message(notification, id, createdAt, user: user), CancellationToken.None));
        }
        foreach (var topic in notification.Topics)
        {
            sends.Add(hub.Clients.Group(StreamNames.TopicGroup(topic)).SendAsync(HubProtocolNames.NotificationTarget, Message(notification, id, createdAt, topic: topic), CancellationToken.None));
        }
        if (notification.Broadcast)
        {
            sends.Add(hub.Clients.All.SendAsync(HubProtocolNames.NotificationTarget, Message(notification, id, createdAt, broadcast: true), CancellationToken.None));
        }
        PublishingLog.Accepted(logger, id, notification.Type, notification.Users.Count, notification.Topics.Count, notification.Broadcast);
        return new PublishResponse(id, createdAt);
    }

    private static NotificationMessage Message(Notification notification, string id, DateTime createdAt, string? user = null, string? topic = null, bool? broadcast = null) => new()
    {
        Id = id,
        Type = notification.Type,
        Data = notification.Data,
        CreatedAt = createdAt,
        User = user,
        Topic = topic,
        Broadcast = broadcast,
    };

    private static async Task AwaitSendsAsync(List<Task> sends, CancellationToken cancellationToken)
        => await Task.WhenAll(sends).WaitAsync(cancellationToken).ConfigureAwait(false);
}
