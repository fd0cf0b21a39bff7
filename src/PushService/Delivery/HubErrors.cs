using Microsoft.AspNetCore.SignalR;

namespace PushService.Delivery;

/// <summary>
/// The closed set of errors a hub client can receive; the code before the colon tells the
/// client what to do (docs/PROTOCOL.md §2). The connection stays open after each.
/// </summary>
internal static class HubErrors
{
    public const string InvalidTopicCode = "invalid_topic";
    public const string ForbiddenCode = "forbidden";
    public const string LimitExceededCode = "limit_exceeded";

    public static HubException InvalidTopic() =>
        new($"{InvalidTopicCode}: A topic name must be {NameRules.TopicRule}.");

    public static HubException Forbidden(string topic) =>
        new($"{ForbiddenCode}: Your token does not allow subscribing to topic '{topic}'.");

    public static HubException TooManySubscriptions(int limit) =>
        new($"{LimitExceededCode}: A connection may subscribe to at most {limit} topics; unsubscribe from one first.");
}
