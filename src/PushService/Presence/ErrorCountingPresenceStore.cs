using PushService.Diagnostics;
using PushService.History;

namespace PushService.Presence;

/// <summary>
/// Counts the Redis presence store's failures (<c>push.redis.errors</c>, operation
/// <c>presence_write</c> or <c>presence_read</c>) for every caller: the hub, lease renewal and the
/// presence endpoints.
/// </summary>
internal sealed class ErrorCountingPresenceStore(IPresenceStore inner, PushMetrics metrics) : IPresenceStore
{
    public Task AddAsync(string user, string connectionId, CancellationToken cancellationToken = default)
        => CountedAsync(inner.AddAsync(user, connectionId, cancellationToken), "presence_write");

    public Task RemoveAsync(string user, string connectionId, CancellationToken cancellationToken = default)
        => CountedAsync(inner.RemoveAsync(user, connectionId, cancellationToken), "presence_write");

    public Task RenewAsync(IReadOnlyCollection<(string User, string ConnectionId)> connections, CancellationToken cancellationToken = default)
        => CountedAsync(inner.RenewAsync(connections, cancellationToken), "presence_write");

    public async Task<IReadOnlyList<int>> CountAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.CountAsync(users, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            metrics.RedisError("presence_read");
            throw;
        }
    }

    private async Task CountedAsync(Task operation, string name)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            metrics.RedisError(name);
            throw;
        }
    }
}
