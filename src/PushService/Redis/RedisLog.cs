namespace PushService.Redis;

/// <summary>Redis log events, ids 1200–1299.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(1200, LogLevel.Information, "Connecting to Redis ({Endpoints} endpoints).")]
    public static partial void Connecting(ILogger logger, int endpoints);

    [LoggerMessage(1201, LogLevel.Warning, "The history store (Redis) is unavailable; publishes are refused until it answers again. Further failures are not logged.")]
    public static partial void HistoryUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(1202, LogLevel.Information, "The history store (Redis) answers again.")]
    public static partial void HistoryAvailable(ILogger logger);

    [LoggerMessage(1203, LogLevel.Warning, "Redis's subscription connection is not up yet; hub connections wait for it before the backplane subscribes.")]
    public static partial void WaitingForSubscriber(ILogger logger);

    [LoggerMessage(1210, LogLevel.Warning, "The Redis backplane is lost ({Reason}): this node may not hear what is published to Redis and reports unready.")]
    public static partial void BackplaneLost(ILogger logger, string reason);

    [LoggerMessage(1211, LogLevel.Information, "The Redis backplane is back after a loss ({Reason}); {Connections} connections were asked to reconnect and resume.")]
    public static partial void BackplaneRestored(ILogger logger, string reason, int connections);

    [LoggerMessage(1212, LogLevel.Warning, "The Redis backplane could not unsubscribe while shutting down; its subscriptions end with the connection.")]
    public static partial void BackplaneDisposeFailed(ILogger logger, Exception exception);

    [LoggerMessage(1213, LogLevel.Information, "The Redis backplane is back: every heartbeat arrived, late, so nothing was missed and connections stay.")]
    public static partial void BackplaneCaughtUp(ILogger logger);
}
