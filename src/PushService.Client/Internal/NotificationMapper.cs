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
    };

    private static DateTimeOffset ToUtc(DateTime value) => value.Kind switch
    {
        // System.Text.Json yields Local for an ISO string with a non-Z offset.
        DateTimeKind.Local => new DateTimeOffset(value.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc), TimeSpan.Zero),
    };
}
