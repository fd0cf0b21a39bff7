using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;

namespace PushService.Protocol;

/// <summary>
/// The argument of the server-to-client <c>notification</c> invocation, as it travels on the
/// wire in both hub protocols. docs/PROTOCOL.md is the normative description; this file is
/// compiled into the service and the .NET SDK so the two cannot drift apart.
/// </summary>
[MessagePackFormatter(typeof(NotificationMessageFormatter))]
internal sealed class NotificationMessage
{
    public required string Id { get; init; }

    public required string Type { get; init; }

    public JsonElement Data { get; init; }

    /// <summary>UTC; a MessagePack timestamp in the binary protocol, ISO 8601 in JSON.</summary>
    public DateTime CreatedAt { get; init; }

    /// <summary>Set when the notification was addressed to this user.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? User { get; init; }

    /// <summary>Set when the notification was published to this topic.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Topic { get; init; }

    /// <summary><c>true</c> when the notification was broadcast to everyone; otherwise absent.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Broadcast { get; init; }

    /// <summary>The stream it belongs to: <c>user:{id}</c>, <c>topic:{name}</c> or <c>broadcast</c>.</summary>
    public string Stream { get; init; } = "";

    /// <summary>Its place in the stream: strictly increasing within <see cref="Epoch"/>, from 1.</summary>
    public long Offset { get; init; }

    /// <summary>Changes whenever the stream's history is lost; offsets restart with it.</summary>
    public string Epoch { get; init; } = "";
}

/// <summary>Names both sides of the hub must agree on.</summary>
internal static class HubProtocolNames
{
    public const string HubPath = "/hubs/notifications";
    public const string NotificationTarget = "notification";
    public const string Subscribe = "Subscribe";
    public const string Unsubscribe = "Unsubscribe";
    public const string Resume = "Resume";
    public const string History = "History";
}

/// <summary>The closed set of hub error codes (docs/PROTOCOL.md, "Errors"): the server sends them, the SDKs read them.</summary>
internal static class HubErrorCodes
{
    public const string InvalidTopic = "invalid_topic";
    public const string InvalidStream = "invalid_stream";
    public const string Forbidden = "forbidden";
    public const string LimitExceeded = "limit_exceeded";
    public const string Unavailable = "unavailable";
    public const string RateLimited = "rate_limited";
}
