namespace PushService.Client.Internal;

/// <summary>The one place the SDK builds and reads stream names (docs/PROTOCOL.md §2).</summary>
internal static class StreamNames
{
    public const string Broadcast = "broadcast";
    private const string UserPrefix = "user:";
    private const string TopicPrefix = "topic:";

    public static string User(string user) => UserPrefix + user;

    public static string Topic(string topic) => TopicPrefix + topic;

    public static bool IsUser(string stream) => stream.StartsWith(UserPrefix, StringComparison.Ordinal);

    public static bool TryGetTopic(string stream, out string topic)
    {
        if (stream.StartsWith(TopicPrefix, StringComparison.Ordinal))
        {
            topic = stream[TopicPrefix.Length..];
            return true;
        }
        topic = string.Empty;
        return false;
    }
}
