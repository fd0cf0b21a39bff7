using Microsoft.Extensions.Logging;

namespace PushService.Client;

public sealed partial class PushClient
{
    // Event ids 1-99 belong to PushClient.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "A handler for notification type '{Type}' threw while handling notification '{Id}'.", EventName = "HandlerFailed")]
        public static partial void HandlerFailed(ILogger logger, string type, string id, Exception exception);

        [LoggerMessage(2, LogLevel.Error, "A handler of the {Event} event threw.", EventName = "EventHandlerFailed")]
        public static partial void EventHandlerFailed(ILogger logger, string @event, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "The service refused topic '{Topic}' ({Code}); it was removed from the subscribed topics.", EventName = "SubscriptionRefused")]
        public static partial void SubscriptionRefused(ILogger logger, string topic, string code, Exception exception);

        [LoggerMessage(4, LogLevel.Debug, "The connection was lost while changing the subscription to topic '{Topic}'; the next connection applies the subscribed topics.", EventName = "SubscriptionDeferred")]
        public static partial void SubscriptionDeferred(ILogger logger, string topic, Exception exception);

        [LoggerMessage(5, LogLevel.Warning, "A ReadAllAsync reader fell behind by more than {Capacity} notifications and was stopped.", EventName = "ReaderOverflowed")]
        public static partial void ReaderOverflowed(ILogger logger, int capacity);

        [LoggerMessage(6, LogLevel.Warning, "Notifications of stream '{Stream}' could not be recovered ({Reason}); the client continues from offset {Offset}.", EventName = "RecoveryFailed")]
        public static partial void RecoveryFailed(ILogger logger, string stream, RecoveryFailureReason reason, long offset);

        [LoggerMessage(7, LogLevel.Debug, "The connection was lost while resuming; the next connection resumes.", EventName = "ResumeDeferred")]
        public static partial void ResumeDeferred(ILogger logger, Exception exception);

        [LoggerMessage(8, LogLevel.Error, "Resuming on the new connection failed; the connection is closed.", EventName = "ResumeFailed")]
        public static partial void ResumeFailed(ILogger logger, Exception exception);

        [LoggerMessage(9, LogLevel.Debug, "Fetching the missed notifications of stream '{Stream}' failed; retrying while connected, else on the next connection.", EventName = "GapFetchFailed")]
        public static partial void GapFetchFailed(ILogger logger, string stream, Exception exception);

        [LoggerMessage(10, LogLevel.Warning, "The service refused stream '{Stream}' ({Code}) when resuming.", EventName = "StreamRefused")]
        public static partial void StreamRefused(ILogger logger, string stream, string code);

        [LoggerMessage(11, LogLevel.Warning, "The service did not answer for stream '{Stream}' when resuming; the next connection asks again.", EventName = "StreamNotAnswered")]
        public static partial void StreamNotAnswered(ILogger logger, string stream);

        [LoggerMessage(12, LogLevel.Error, "Delivering to the app failed unexpectedly; the delivery loop goes on.", EventName = "DeliveryFailed")]
        public static partial void DeliveryFailed(ILogger logger, Exception exception);

        [LoggerMessage(13, LogLevel.Warning, "The service could not resume the streams yet; retrying in {DelaySeconds} s.", EventName = "ResumeRetrying")]
        public static partial void ResumeRetrying(ILogger logger, double delaySeconds, Exception exception);
    }
}
