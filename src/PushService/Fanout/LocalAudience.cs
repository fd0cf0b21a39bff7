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
    public IEnumerable<HubConnectionContext> Everyone
    {
        get
        {
            foreach (var pair in _connections)
            {
                yield return pair.Value.Connection;
            }
        }
    }

    /// <summary>The user's connections on this node, or null when it has none.</summary>
    public ConcurrentDictionary<string, HubConnectionContext>? OfUser(string user) => _users.GetValueOrDefault(user);

    /// <summary>The topic's members on this node, or null when it has none.</summary>
    public ConcurrentDictionary<string, HubConnectionContext>? Members(string topic) => _topics.GetValueOrDefault(topic);

    /// <summary>Adds a connection of the given user.</summary>
    public void Add(HubConnectionContext connection, string user)
    {
        lock (_gate)
        {
            _connections[connection.ConnectionId] = new Member(connection, user);
            _users.GetOrAdd(user, static _ => new(StringComparer.Ordinal))[connection.ConnectionId] = connection;
        }
    }

    /// <summary>Removes the connection and its topic memberships.</summary>
    public void Remove(HubConnectionContext connection)
    {
        if (!_connections.TryRemove(connection.ConnectionId, out var member))
        {
            return;
        }
        lock (_gate)
        {
            if (_users.TryGetValue(member.User, out var mine) && mine.TryRemove(connection.ConnectionId, out _) && mine.IsEmpty)
            {
                _users.TryRemove(member.User, out _);
            }
            foreach (var topic in member.Topics ?? [])
            {
                LeaveLocked(connection.ConnectionId, topic);
            }
            member.Topics = null;
        }
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
                _topics.GetOrAdd(topic, static _ => new(StringComparer.Ordinal))[connectionId] = member.Connection;
            }
        }
    }

    public void Leave(string connectionId, string topic)
    {
        lock (_gate)
        {
            if (_connections.TryGetValue(connectionId, out var member) && member.Topics?.Remove(topic) == true)
            {
                LeaveLocked(connectionId, topic);
            }
        }
    }

    private void LeaveLocked(string connectionId, string topic)
    {
        if (_topics.TryGetValue(topic, out var members) && members.TryRemove(connectionId, out _) && members.IsEmpty)
        {
            _topics.TryRemove(topic, out _);
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
