namespace PushService.Fanout;

/// <summary>Fan-out log events, ids 1800–1849.</summary>
internal static partial class FanoutLog
{
    [LoggerMessage(1800, LogLevel.Error, "Writing a batch for {Audience} to this node's connections failed; they fetch the missed notifications from history.")]
    public static partial void WriteFailed(ILogger logger, string audience, Exception exception);

    [LoggerMessage(1801, LogLevel.Warning, "A fan-out message from Redis could not be read and was dropped; subscribers fetch it from history.")]
    public static partial void UnreadableMessage(ILogger logger, Exception exception);

    [LoggerMessage(1802, LogLevel.Warning, "Subscribing to the fan-out channel failed; retrying.")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception);

    [LoggerMessage(1803, LogLevel.Debug, "Unsubscribing from a user's channel failed; the subscription ends with the Redis connection.")]
    public static partial void UnsubscribeFailed(ILogger logger, Exception exception);
}
