namespace PushService.Delivery;

/// <summary>Limit enforcement log events, ids 1700–1799.</summary>
internal static partial class LimitsLog
{
    [LoggerMessage(1700, LogLevel.Information, "User {UserId} was refused a connection: already at Push:Limits:MaxConnectionsPerUser ({Limit}).")]
    public static partial void TooManyConnections(ILogger logger, string userId, int limit);

    [LoggerMessage(1701, LogLevel.Warning, "Connection {ConnectionId} of user {UserId} kept calling the hub far over Push:Limits:HubInvocationsPerSecond; closing it.")]
    public static partial void RateLimitAbuse(ILogger logger, string connectionId, string? userId);

    [LoggerMessage(1702, LogLevel.Information, "Connection {ConnectionId} of user {UserId} stopped reading: more than Push:Limits:MaxConnectionBufferBytes ({Limit}) waited to be sent; closed it so the others are not held back.")]
    public static partial void SlowConsumerAborted(ILogger logger, string connectionId, string? userId, long limit);
}
