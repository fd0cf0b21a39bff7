using System.Text.Json.Serialization;

namespace PushService.Client;

/// <summary>The service accepted a notification.</summary>
/// <param name="Id">The notification id.</param>
/// <param name="CreatedAt">The time the service accepted it.</param>
public sealed record PublishResult(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt);
