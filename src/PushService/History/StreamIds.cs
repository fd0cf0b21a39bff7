namespace PushService.History;

/// <summary>
/// The one place stream names are built and parsed: <c>user:{id}</c>, <c>topic:{name}</c>,
/// <c>broadcast</c>. Stream names travel on the wire and key the history.
/// </summary>
internal static class StreamIds
{
    public const string Broadcast = "broadcast";
    private const string UserPrefix = "user:";
    private const string TopicPrefix = "topic:";

    public static string User(string userId) => UserPrefix + userId;

    public static string Topic(string topic) => TopicPrefix + topic;

    public static bool TryGetUser(string stream, out string userId) => TryStrip(stream, UserPrefix, out userId);

    public static bool TryGetTopic(string stream, out string topic) => TryStrip(stream, TopicPrefix, out topic);

    private static bool TryStrip(string stream, string prefix, out string rest)
    {
        if (stream.StartsWith(prefix, StringComparison.Ordinal) && stream.Length > prefix.Length)
        {
            rest = stream[prefix.Length..];
            return true;
        }
        rest = "";
        return false;
    }
}
