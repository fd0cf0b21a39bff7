namespace PushService.Presence;

/// <summary>Presence log events, ids 1500–1599.</summary>
internal static partial class PresenceLog
{
    [LoggerMessage(1500, LogLevel.Warning, "Presence leases could not be renewed; retrying. Further failures are not logged until one succeeds.")]
    public static partial void RenewalFailed(ILogger logger, Exception exception);

    [LoggerMessage(1501, LogLevel.Warning, "Presence of a connection could not be recorded; it will be on the next renewal.")]
    public static partial void RecordFailed(ILogger logger, Exception exception);
}
