using Microsoft.AspNetCore.SignalR;
using PushService.Delivery;
using PushService.Redis;

namespace PushService.Fanout;

/// <summary>
/// SignalR's lifetime manager (in memory, or its Redis backplane), with two additions. Every
/// connection is entered in the node's <see cref="LocalAudience"/> for the whole of its life, and
/// the node hears its user's channel (<see cref="IFanoutBus.JoinUserAsync"/>) before the connection
/// can do anything, so that PushService's own delivery can write to it. And <c>Dispose</c> never
/// throws: the Redis manager unsubscribes synchronously and throws when Redis is gone, which after
/// an outage turned a clean shutdown into an unhandled exception and a failed exit. Everything
/// else is delegated.
/// </summary>
internal sealed class AudienceLifetimeManager<THub>(HubLifetimeManager<THub> inner, LocalAudience audience, IFanoutBus bus, ILogger<AudienceLifetimeManager<THub>> logger)
    : HubLifetimeManager<THub>, IDisposable
    where THub : Hub
{
    public void Dispose()
    {
        try
        {
            (inner as IDisposable)?.Dispose();
        }
        catch (Exception ex)
        {
            // Shutting down anyway: the subscriptions die with the connection.
            RedisLog.BackplaneDisposeFailed(logger, ex);
        }
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        // The hub refuses a token without a subject before this runs.
        var user = Subject.Of(connection.User)!;
        audience.Add(connection, user);
        // Counted before it completes: SignalR calls OnDisconnectedAsync even when this throws.
        await bus.JoinUserAsync(user).ConfigureAwait(false);
        await inner.OnConnectedAsync(connection).ConfigureAwait(false);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        var user = audience.Remove(connection);
        try
        {
            await inner.OnDisconnectedAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            // Only a connection that was entered (and so counted by JoinUserAsync) leaves.
            if (user is not null)
            {
                await bus.LeaveUserAsync(user).ConfigureAwait(false);
            }
        }
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default)
        => inner.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default)
        => inner.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default)
        => inner.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
        => inner.AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
        => inner.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken)
        => inner.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, Microsoft.AspNetCore.SignalR.Protocol.CompletionMessage result)
        => inner.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type)
        => inner.TryGetReturnType(invocationId, out type);
}
