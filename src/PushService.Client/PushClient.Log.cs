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
    }
}
