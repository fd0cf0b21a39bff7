using StackExchange.Redis;

namespace PushService.Redis;

/// <summary>
/// The one place Redis keys are built. Every key of a stream carries the stream in a hash tag
/// (<c>{…}</c>), so that one Lua script only touches keys of one Redis Cluster slot.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public RedisKey StreamLog(string stream) => $"{prefix}:{{{stream}}}:log";

    public RedisKey StreamMeta(string stream) => $"{prefix}:{{{stream}}}:meta";

    public RedisKey Idempotency(string stream, string id) => $"{prefix}:{{{stream}}}:idem:{id}";
}
