namespace PushService.Redis;

/// <summary>Redis log events, ids 1200–1299.</summary>
internal static partial class RedisLog
{
    [LoggerMessage(1200, LogLevel.Information, "Connecting to Redis ({Endpoints} endpoints).")]
    public static partial void Connecting(ILogger logger, int endpoints);
}
