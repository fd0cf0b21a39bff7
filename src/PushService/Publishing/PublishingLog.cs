namespace PushService.Publishing;

/// <summary>Publishing log events, ids 1100–1199.</summary>
internal static partial class PublishingLog
{
    [LoggerMessage(1100, LogLevel.Warning, "Notifications were stored but pushing some failed; subscribers will recover them from the streams.")]
    public static partial void PushFailed(ILogger logger, Exception exception);

    [LoggerMessage(1101, LogLevel.Warning, "A publish could not be stored and was answered 503.")]
    public static partial void StoreUnavailable(ILogger logger, Exception exception);
}
