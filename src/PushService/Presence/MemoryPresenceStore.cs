using System.Collections.Concurrent;

namespace PushService.Presence;

/// <summary>One node's presence: exact, since this node holds every connection there is.</summary>
internal sealed class MemoryPresenceStore : IPresenceStore
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _users = new(StringComparer.Ordinal);

    public Task AddAsync(string user, string connectionId, CancellationToken cancellationToken = default)
    {
        _users.GetOrAdd(user, _ => new(StringComparer.Ordinal))[connectionId] = 0;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string user, string connectionId, CancellationToken cancellationToken = default)
    {
        if (_users.TryGetValue(user, out var connections))
        {
            connections.TryRemove(connectionId, out _);
            // Drop the user's entry once empty, so memory follows the connected users only.
            if (connections.IsEmpty)
            {
                _users.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, byte>>(user, connections));
            }
        }
        return Task.CompletedTask;
    }

    public Task RenewAsync(IReadOnlyCollection<(string User, string ConnectionId)> connections, CancellationToken cancellationToken = default)
        => Task.CompletedTask;

    public Task<IReadOnlyList<int>> CountAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<int>>([.. users.Select(u => _users.TryGetValue(u, out var c) ? c.Count : 0)]);
}
