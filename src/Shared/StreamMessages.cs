using System.Text.Json.Serialization;
using MessagePack;

namespace PushService.Protocol;

/// <summary>A position in a stream: the offset of the last notification seen, in an epoch.</summary>
[MessagePackFormatter(typeof(StreamPositionMessageFormatter))]
internal sealed class StreamPositionMessage
{
    public required string Stream { get; init; }

    /// <summary>0 before the first notification.</summary>
    public long Offset { get; init; }

    /// <summary>Empty when the client has no position yet (a fresh start).</summary>
    public string Epoch { get; init; } = "";
}

/// <summary>One stream's answer to <c>Resume</c>.</summary>
[MessagePackFormatter(typeof(StreamRecoveryMessageFormatter))]
internal sealed class StreamRecoveryMessage
{
    public required string Stream { get; init; }

    /// <summary>
    /// True when <see cref="Notifications"/> holds every notification after the requested
    /// position; false when some are gone (trimmed, expired, or the epoch changed).
    /// </summary>
    public bool Recovered { get; init; }

    /// <summary>The stream's position now: the last offset and its epoch.</summary>
    public long Offset { get; init; }

    public string Epoch { get; init; } = "";

    /// <summary>Missed notifications in offset order; empty when not recovered.</summary>
    public IReadOnlyList<NotificationMessage> Notifications { get; init; } = [];

    /// <summary>A hub error code when this stream was refused (e.g. <c>forbidden</c>); the rest is then unset.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}

/// <summary>The answer to <c>Resume</c>.</summary>
[MessagePackFormatter(typeof(ResumeResultMessageFormatter))]
internal sealed class ResumeResultMessage
{
    /// <summary>The connection's user id (the token's <c>sub</c>): its user stream is <c>user:{User}</c>.</summary>
    public required string User { get; init; }

    /// <summary>One entry per stream: the user stream, <c>broadcast</c>, and each requested topic stream.</summary>
    public IReadOnlyList<StreamRecoveryMessage> Streams { get; init; } = [];
}

/// <summary>A page of a stream's history, newest first.</summary>
[MessagePackFormatter(typeof(HistoryPageMessageFormatter))]
internal sealed class HistoryPageMessage
{
    public required string Stream { get; init; }

    /// <summary>The stream's position now.</summary>
    public long Offset { get; init; }

    public string Epoch { get; init; } = "";

    /// <summary>Newest first; the last one's offset is the <c>before</c> of the next page.</summary>
    public IReadOnlyList<NotificationMessage> Notifications { get; init; } = [];
}
