using System.Text.Json;

namespace PushService.Publishing;

/// <summary>A validated notification with its targets de-duplicated, ready to publish.</summary>
internal sealed record Notification(
    string? Id,
    string Type,
    IReadOnlyList<string> Users,
    IReadOnlyList<string> Topics,
    bool Broadcast,
    JsonElement Data);
