using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace PushService.Fanout;

/// <summary>
/// Who on this node receives what: every hub connection (broadcasts), each user's connections,
/// and the members of each topic. The lifetime manager adds and removes connections; the hub
/// joins and leaves topics. Fan-out reads it without locks — a concurrent dictionary's enumerator neither
/// copies nor blocks — while the few writers take one lock, so that a topic emptied by one
/// connection leaving is never removed under another one joining it.
/// </summary>
internal sealed class LocalAudience
{
    private readonly ConcurrentDictionary<string, Member> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, HubConnectionContext>> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, HubConnectionContext>> _users = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Every connection on this node: the audience of a broadcast.</summary>
    public IEnumerable<HubConnectionContext> Everyone => Of(user: null, topic: null);

    /// <summary>The topic's members on this node, or null when it has none.</summary>
    public ConcurrentDictionary<string, HubConnectionContext>? Members(string topic) => _topics.GetValueOrDefault(topic);

    /// <summary>
    /// Who on this node receives a stream: the user's connections, the topic's members, or (both
    /// null) everyone. Enumerates the live sets, never a copy (<c>Values</c> would copy them).
    /// </summary>
    public IEnumerable<HubConnectionContext> Of(string? user, string? topic)
    {
        if (user is null && topic is null)
        {
            foreach (var pair in _connections)
            {
                yield return pair.Value.Connection;
            }
        }
        else if ((user is not null ? _users.GetValueOrDefault(user) : _topics.GetValueOrDefault(topic!)) is { } set)
        {
            foreach (var pair in set)
            {
                yield return pair.Value;
            }
        }
    }

    /// <summary>Adds a connection of the given user.</summary>
    public void Add(HubConnectionContext connection, string user)
    {
        lock (_gate)
        {
            _connections[connection.ConnectionId] = new Member(connection, user);
            AddLocked(_users, user, connection);
        }
    }

    /// <summary>Removes the connection and its topic memberships; answers its user, or null when it was not here.</summary>
    public string? Remove(HubConnectionContext connection)
    {
        if (!_connections.TryRemove(connection.ConnectionId, out var member))
        {
            return null;
        }
        lock (_gate)
        {
            RemoveLocked(_users, member.User, connection.ConnectionId);
            foreach (var topic in member.Topics ?? [])
            {
                RemoveLocked(_topics, topic, connection.ConnectionId);
            }
            member.Topics = null;
        }
        return member.User;
    }

    /// <summary>From now on the connection receives what is published to the topic.</summary>
    /// <exception cref="InvalidOperationException">The connection is not (or no longer) on this node.</exception>
    public void Join(string connectionId, string topic)
    {
        lock (_gate)
        {
            if (!_connections.TryGetValue(connectionId, out var member))
            {
                throw new InvalidOperationException($"Connection {connectionId} is not on this node.");
            }
            if ((member.Topics ??= new(StringComparer.Ordinal)).Add(topic))
            {
                AddLocked(_topics, topic, member.Connection);
            }
        }
    }

    public void Leave(string connectionId, string topic)
    {
        lock (_gate)
        {
            if (_connections.TryGetValue(connectionId, out var member) && member.Topics?.Remove(topic) == true)
            {
                RemoveLocked(_topics, topic, connectionId);
            }
        }
    }

    private static void AddLocked(ConcurrentDictionary<string, ConcurrentDictionary<string, HubConnectionContext>> sets, string key, HubConnectionContext connection)
        => sets.GetOrAdd(key, static _ => new(StringComparer.Ordinal))[connection.ConnectionId] = connection;

    // An emptied set goes, so that a departed user or topic keeps nothing behind.
    private static void RemoveLocked(ConcurrentDictionary<string, ConcurrentDictionary<string, HubConnectionContext>> sets, string key, string connectionId)
    {
        if (sets.TryGetValue(key, out var set) && set.TryRemove(connectionId, out _) && set.IsEmpty)
        {
            sets.TryRemove(key, out _);
        }
    }

    /// <summary>
    /// A connection and the topics it joined, only touched under the lock. Most connections never
    /// join a topic: their set is not allocated.
    /// </summary>
    private sealed class Member(HubConnectionContext connection, string user)
    {
        public HubConnectionContext Connection { get; } = connection;

        public string User { get; } = user;

        public HashSet<string>? Topics { get; set; }
    }
}
