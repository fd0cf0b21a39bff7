namespace PushService.Presence;

/// <summary>
/// Who is connected anywhere in the cluster. Each node records its own connections; a record is a
/// lease that the node renews (<see cref="RenewAsync"/>) and that expires if the node dies, so a
/// crashed node's users go offline within <c>Push:Presence:Lease</c> instead of leaking forever.
/// </summary>
internal interface IPresenceStore
{
    Task AddAsync(string user, string connectionId, CancellationToken cancellationToken = default);

    Task RemoveAsync(string user, string connectionId, CancellationToken cancellationToken = default);

    /// <summary>Extends the leases of this node's live connections.</summary>
    Task RenewAsync(IReadOnlyCollection<(string User, string ConnectionId)> connections, CancellationToken cancellationToken = default);

    /// <summary>How many live connections each user has, in the order asked (0 when offline).</summary>
    Task<IReadOnlyList<int>> CountAsync(IReadOnlyList<string> users, CancellationToken cancellationToken = default);
}
