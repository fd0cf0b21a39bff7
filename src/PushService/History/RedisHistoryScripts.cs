namespace PushService.History;

/// <summary>
/// The Lua behind <see cref="RedisHistoryStore"/>: one script per operation, so that each is one
/// atomic step on the one Redis Cluster slot of its stream (all keys share the stream's hash tag).
/// </summary>
/// <remarks>
/// Every script: <c>KEYS[1]</c> the stream's meta hash (<c>epoch</c>, <c>offset</c>),
/// <c>KEYS[2]</c> its log (a Redis Stream with ids <c>{offset}-0</c>); <c>ARGV[1]</c> an epoch
/// to use if the stream has none, <c>ARGV[2]</c> MetaTtl in ms. A read may create the epoch too,
/// so that a position handed out before the first append stays valid after it.
/// </remarks>
internal static class RedisHistoryScripts
{
    // Returns epoch, offset. A log without meta is left from a lost epoch, so it goes: the new
    // epoch starts empty and its ids cannot clash with old ones.
    private const string Position = """
        local function position()
          local meta = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
          if meta[1] then
            return meta[1], tonumber(meta[2])
          end
          redis.call('DEL', KEYS[2])
          redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'offset', 0)
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return ARGV[1], 0
        end

        """;

    /// <summary>
    /// <c>KEYS[3]</c> the id's idempotency key; <c>ARGV[3]</c> the entry, <c>ARGV[4]</c> Size,
    /// <c>ARGV[5]</c> Ttl ms, <c>ARGV[6]</c> IdempotencyWindow ms, <c>ARGV[7]</c> createdAt (<c>DateTime.ToBinary</c>);
    /// optionally <c>ARGV[8]</c> a channel and <c>ARGV[9]</c> the live message without its position,
    /// published as the last step as <c>"offset:createdAt:epoch\n"</c> followed by the message —
    /// the stored position for a duplicate, so a retry pushes the original again.
    /// Returns <c>{0, offset, epoch}</c> when appended, <c>{1, "offset:createdAt:epoch"}</c> for a duplicate.
    /// </summary>
    /// <remarks>
    /// XADD comes before any other write of an existing stream: if it fails (e.g. OOM), nothing
    /// has changed, and once one write is done Redis lets the rest of the script finish.
    /// </remarks>
    public const string Append = Position + """
        local function push(stored)
          if ARGV[8] then
            redis.call('PUBLISH', ARGV[8], stored .. '\n' .. ARGV[9])
          end
        end
        local prior = redis.call('GET', KEYS[3])
        if prior then
          push(prior)
          return {1, prior}
        end
        local epoch, offset = position()
        offset = offset + 1
        local text = string.format('%d', offset)
        redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], text .. '-0', 'n', ARGV[3])
        redis.call('HSET', KEYS[1], 'offset', text)
        redis.call('PEXPIRE', KEYS[2], ARGV[5])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        local stored = text .. ':' .. ARGV[7] .. ':' .. epoch
        redis.call('SET', KEYS[3], stored, 'PX', ARGV[6])
        push(stored)
        return {0, offset, epoch}
        """;

    /// <summary>Returns <c>{epoch, offset}</c>.</summary>
    public const string GetPosition = Position + """
        local epoch, offset = position()
        return {epoch, offset}
        """;

    /// <summary>
    /// <c>ARGV[3]</c> the caller's epoch, <c>ARGV[4]</c> its offset, <c>ARGV[5]</c> the id after it,
    /// <c>ARGV[6]</c> the limit. Returns <c>{epoch, offset}</c>, plus the entries from that id when
    /// the epoch matches and the caller is behind; whether the first is the one needed is read
    /// in the same step as the position.
    /// </summary>
    public const string ReadSince = Position + """
        local epoch, offset = position()
        if epoch ~= ARGV[3] or tonumber(ARGV[4]) >= offset then
          return {epoch, offset}
        end
        return {epoch, offset, redis.call('XRANGE', KEYS[2], ARGV[5], '+', 'COUNT', ARGV[6])}
        """;

    /// <summary><c>ARGV[3]</c> the newest id wanted (or <c>+</c>), <c>ARGV[4]</c> the limit. Returns <c>{epoch, offset, entries newest first}</c>.</summary>
    public const string ReadBefore = Position + """
        local epoch, offset = position()
        return {epoch, offset, redis.call('XREVRANGE', KEYS[2], ARGV[3], '-', 'COUNT', ARGV[4])}
        """;
}
