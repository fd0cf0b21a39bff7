using PushService.History;

namespace PushService.Delivery;

/// <summary>One stream a notification goes to, and who receives it live.</summary>
internal sealed record Target(string Stream, string? User, string? Topic)
{
    public static readonly Target Everyone = new(StreamIds.Broadcast, null, null);

    public bool IsBroadcast => User is null && Topic is null;

    public static Target ForUser(string user) => new(StreamIds.User(user), user, null);

    public static Target ForTopic(string topic) => new(StreamIds.Topic(topic), null, topic);

    /// <summary>
    /// Names a stream a caller asked for, or null when it is no stream at all. Whether the caller
    /// may read it is the hub's decision.
    /// </summary>
    public static Target? Parse(string stream)
    {
        if (stream == StreamIds.Broadcast)
        {
            return Everyone;
        }
        if (StreamIds.TryGetUser(stream, out var user) && NameRules.IsValidUserId(user))
        {
            return ForUser(user);
        }
        if (StreamIds.TryGetTopic(stream, out var topic) && NameRules.IsValidTopic(topic))
        {
            return ForTopic(topic);
        }
        return null;
    }
}
