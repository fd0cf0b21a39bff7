namespace PushService.Delivery;

/// <summary>
/// The one place SignalR group names are built. The Redis backplane turns them into literal
/// channels under <c>Push:RedisPrefix</c>, so a topic named like a pattern stays a plain name.
/// </summary>
internal static class StreamNames
{
    public static string TopicGroup(string topic) => "topic:" + topic;
}
