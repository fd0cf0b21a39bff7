using Microsoft.Extensions.Options;
using PushService.History;
using PushService.Redis;
using StackExchange.Redis;

namespace PushService.Presence;

/// <summary>
/// Cluster presence in Redis: per user a sorted set of connection ids scored by lease expiry
/// (unix ms). Counting ignores expired members, and trims them, so a dead node's connections
/// disappear without anyone cleaning up after it.
/// </summary>
internal sealed class RedisPresenceStore(RedisConnection redis, IOptions<PresenceOptions> options, TimeProvider time) : IPresenceStore
{
    private readonly RedisKeys _keys = new(redis.Prefix);

    private TimeSpan Lease => options.Value.Lease;

    public async Task AddAsync(string user, string connectionId, CancellationToken cancellationToken = default)
        => await RenewAsync([(user, connectionId)], cancellationToken).ConfigureAwait(false);

    public async Task RemoveAsync(string user, string connectionId, CancellationToken cancellationToken = default)
    {
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        await Guard(() => database.SortedSetRemoveAsync(_keys.Presence(user), connectionId)).ConfigureAwait(false);
    }

    public async Task RenewAsync(IReadOnlyCollection<(string User, string ConnectionId)> connections, CancellationToken cancellationToken = default)
    {
        if (connections.Count == 0)
        {
            return;
        }
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var expiry = time.GetUtcNow().Add(Lease).ToUnixTimeMilliseconds();
        // One pipelined batch per renewal: a node with many connections costs one round trip.
        var batch = database.CreateBatch();
        var writes = new List<Task>(connections.Count * 2);
        foreach (var (user, connectionId) in connections)
        {
            var key = _keys.Presence(user);
            writes.Add(batch.SortedSetAddAsync(key, connectionId, expiry));
            writes.Add(batch.KeyExpireAsync(key, Lease * 2));
        }
        // With commands failing fast, Execute itself throws while Redis is down.
        await Guard(() =>
        {
            batch.Execute();
            return Task.WhenAll(writes);
        }).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<int>> CountAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default)
    {
        var database = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var batch = database.CreateBatch();
        var counts = new List<Task<long>>(users.Count);
        var trims = new List<Task>(users.Count);
        foreach (var user in users)
        {
            var key = _keys.Presence(user);
            // Expired leases are a dead node's connections: trim them while counting.
            trims.Add(batch.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, now, Exclude.Stop));
            counts.Add(batch.SortedSetLengthAsync(key, now, double.PositiveInfinity, Exclude.Start));
        }
        await Guard(() =>
        {
            batch.Execute();
            return Task.WhenAll(trims.Concat(counts));
        }).ConfigureAwait(false);
        return [.. counts.Select(c => (int)c.Result)];
    }

    private async Task<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
        => (await redis.GetAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private static async Task Guard(Func<Task> operation)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            throw new StoreUnavailableException("Presence cannot be read or written: Redis is unavailable.", ex);
        }
    }
}
