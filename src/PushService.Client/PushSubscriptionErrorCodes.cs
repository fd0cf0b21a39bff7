using PushService.Protocol;

namespace PushService.Client;

/// <summary>
/// The codes a refused request carries in <see cref="PushHubException.Code"/>, including a
/// <see cref="PushSubscriptionException"/>. Later service versions may add codes.
/// </summary>
public static class PushSubscriptionErrorCodes
{
    /// <summary>The topic name breaks the topic rules. Retrying will not help.</summary>
    public const string InvalidTopic = HubErrorCodes.InvalidTopic;

    /// <summary>
    /// The name is not a stream name, or another argument of <see cref="PushClient.GetHistoryAsync"/> is
    /// out of range. Retrying will not help.
    /// </summary>
    public const string InvalidStream = HubErrorCodes.InvalidStream;

    /// <summary>The token does not allow this topic or stream. Retry only with a token that does.</summary>
    public const string Forbidden = HubErrorCodes.Forbidden;

    /// <summary>The connection has too many subscriptions. Retry after unsubscribing from others.</summary>
    public const string LimitExceeded = HubErrorCodes.LimitExceeded;

    /// <summary>
    /// The service cannot read its notification store right now. Retry after a short wait; the client
    /// does so on its own when it resumes after a reconnect.
    /// </summary>
    public const string Unavailable = HubErrorCodes.Unavailable;

    /// <summary>
    /// The connection made hub calls faster than the service allows (<c>Push:Limits:HubInvocationsPerSecond</c>).
    /// Retry after a short wait; a connection that keeps going far over the limit is closed.
    /// </summary>
    public const string RateLimited = HubErrorCodes.RateLimited;

    /// <summary>The service's error carried no recognisable code.</summary>
    public const string Unknown = "unknown";
}
