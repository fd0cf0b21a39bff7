namespace PushService.Client;

/// <summary>
/// A page of a stream's stored notifications, newest first, as returned by
/// <see cref="PushClient.GetHistoryAsync"/>.
/// </summary>
public sealed class HistoryPage
{
    /// <summary>Gets the stream: <c>user:{id}</c>, <c>topic:{name}</c> or <c>broadcast</c>.</summary>
    public required string Stream { get; init; }

    /// <summary>Gets the stream's current offset: that of its newest notification (0 when it has none).</summary>
    public long Offset { get; init; }

    /// <summary>Gets the stream's current epoch.</summary>
    public string Epoch { get; init; } = "";

    /// <summary>
    /// Gets the notifications, newest first. Pass the last one's <see cref="Notification.Offset"/> as
    /// <c>before</c> to read the next (older) page; an empty list means there are no older ones.
    /// </summary>
    public IReadOnlyList<Notification> Notifications { get; init; } = [];
}
