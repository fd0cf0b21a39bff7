namespace PushService.Client;

/// <summary>
/// The codes a refused <c>Subscribe</c> or <c>Unsubscribe</c> carries in
/// <see cref="PushSubscriptionException.Code"/>. Later service versions may add codes.
/// </summary>
public static class PushSubscriptionErrorCodes
{
    /// <summary>The topic name breaks the topic rules. Retrying will not help.</summary>
    public const string InvalidTopic = "invalid_topic";

    /// <summary>The token does not allow this topic. Retry only with a token that does.</summary>
    public const string Forbidden = "forbidden";

    /// <summary>The connection has too many subscriptions. Retry after unsubscribing from others.</summary>
    public const string LimitExceeded = "limit_exceeded";

    /// <summary>The service's error carried no recognisable code.</summary>
    public const string Unknown = "unknown";
}
