using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;

namespace PushService.Delivery;

/// <summary>The hub connections on this node, so the node can ask them all to reconnect.</summary>
internal sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private TaskCompletionSource? _empty;

    public int Count => _connections.Count;

    public void Add(HubCallerContext context) => _connections[context.ConnectionId] = context;

    public void Remove(HubCallerContext context)
    {
        _connections.TryRemove(context.ConnectionId, out _);
        lock (_gate)
        {
            if (_connections.IsEmpty && _empty is not null)
            {
                _empty.TrySetResult();
                _empty = null;
            }
        }
    }

    /// <summary>The user and id of every connection on this node.</summary>
    public List<(string User, string ConnectionId)> Users()
        => [.. _connections.Values.Select(c => (Subject.Of(c.User)!, c.ConnectionId))];

    /// <summary>Completes when no connection is left on this node.</summary>
    public Task AllClosed()
    {
        lock (_gate)
        {
            if (_connections.IsEmpty)
            {
                return Task.CompletedTask;
            }
            _empty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _empty.Task;
        }
    }

    /// <summary>
    /// Asks every connection to close with "reconnect allowed", so clients reconnect (here or
    /// elsewhere) and resume from their positions. <c>Abort()</c> would tell them not to reconnect.
    /// </summary>
    public int RequestCloseAll()
    {
        var closed = 0;
        foreach (var context in _connections.Values)
        {
            if (context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
            {
                lifetime.RequestClose();
            }
            else
            {
                context.Abort();
            }
            closed++;
        }
        return closed;
    }
}
