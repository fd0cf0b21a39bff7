namespace PushService.Publishing;

/// <summary>Publishing log events, ids 1100–1199.</summary>
internal static partial class PublishingLog
{
    [LoggerMessage(1100, LogLevel.Debug, "Accepted notification {Id} of type {Type} for {Users} users, {Topics} topics, broadcast {Broadcast}.")]
    public static partial void Accepted(ILogger logger, string id, string type, int users, int topics, bool broadcast);

    [LoggerMessage(1101, LogLevel.Debug, "Rejected a publish from {Publisher}: {Status} {Title}.")]
    public static partial void Rejected(ILogger logger, string? publisher, int status, string title);
}
