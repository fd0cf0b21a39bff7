using System.Text;
using StackExchange.Redis;

namespace PushService.Redis;

/// <summary>
/// The one place Redis keys are built. Every key of a stream carries the stream in a hash tag
/// (<c>{…}</c>), so that one Lua script only touches keys of one Redis Cluster slot.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public RedisKey StreamLog(string stream) => $"{prefix}:{Tag(stream)}:log";

    public RedisKey StreamMeta(string stream) => $"{prefix}:{Tag(stream)}:meta";

    public RedisKey Idempotency(string stream, string id) => $"{prefix}:{Tag(stream)}:idem:{id}";

    /// <summary>A user's live connections, scored by lease expiry.</summary>
    public RedisKey Presence(string user) => $"{prefix}:presence:{Tag(user)}";

    // Braces in a name are escaped so that the tag is exactly the stream: a raw '}' would end the
    // tag early (a stream starting with '}' would even get no tag, and its keys different slots),
    // and "a}:idem:b" with id "c" would share a key with "a" and id "b}:idem:c". '%' is escaped
    // too, so that "%7D" and "}" stay apart.
    private static string Tag(string stream)
    {
        if (stream.AsSpan().IndexOfAny('{', '}', '%') < 0)
        {
            return "{" + stream + "}";
        }
        var tag = new StringBuilder(stream.Length + 8).Append('{');
        foreach (var c in stream)
        {
            _ = c switch
            {
                '{' => tag.Append("%7B"),
                '}' => tag.Append("%7D"),
                '%' => tag.Append("%25"),
                _ => tag.Append(c),
            };
        }
        return tag.Append('}').ToString();
    }
}
