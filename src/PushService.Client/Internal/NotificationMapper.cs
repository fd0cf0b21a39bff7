using System.Text.Json;
using PushService.Protocol;

namespace PushService.Client.Internal;

/// <summary>Turns the internal wire DTO into the public <see cref="Notification"/>.</summary>
internal static class NotificationMapper
{
    private static readonly JsonElement s_null = JsonElement.Parse("null");

    public static Notification ToNotification(NotificationMessage message) => new()
    {
        // A misbehaving server could send null for "required" keys; keep the public contract non-null.
        Id = message.Id ?? string.Empty,
        Type = message.Type ?? string.Empty,
        Data = message.Data.ValueKind == JsonValueKind.Undefined ? s_null : message.Data,
        CreatedAt = ToUtc(message.CreatedAt),
        User = message.User,
        Topic = message.Topic,
        IsBroadcast = message.Broadcast == true,
        Stream = message.Stream ?? string.Empty,
        Offset = message.Offset,
        Epoch = message.Epoch ?? string.Empty,
    };

    /// <summary>
    /// Maps a notification read from a stream's history (a Resume or History answer), which belongs
    /// to that stream and epoch even if the service left the keys out of each item.
    /// </summary>
    public static Notification ToNotification(NotificationMessage message, string stream, string epoch)
    {
        var notification = ToNotification(message);
        return notification with
        {
            Stream = notification.Stream.Length == 0 ? stream : notification.Stream,
            Epoch = notification.Epoch.Length == 0 ? epoch : notification.Epoch,
        };
    }

    public static Notification[] ToNotifications(IReadOnlyList<NotificationMessage>? messages, string stream, string epoch)
    {
        if (messages is null || messages.Count == 0)
        {
            return [];
        }
        var notifications = new Notification[messages.Count];
        for (var i = 0; i < notifications.Length; i++)
        {
            notifications[i] = ToNotification(messages[i], stream, epoch);
        }
        return notifications;
    }

    private static DateTimeOffset ToUtc(DateTime value) => value.Kind switch
    {
        // System.Text.Json yields Local for an ISO string with a non-Z offset.
        DateTimeKind.Local => new DateTimeOffset(value.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc), TimeSpan.Zero),
    };
}
