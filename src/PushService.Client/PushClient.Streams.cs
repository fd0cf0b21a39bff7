using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Client.Internal;
using PushService.Protocol;

namespace PushService.Client;

public sealed partial class PushClient
{
    private const int MaxHistoryLimit = 100;

    /// <summary>
    /// Occurs when some notifications of a stream were not handed to the app and cannot be any more:
    /// the stream's history was lost (<see cref="RecoveryFailureReason.EpochChanged"/>), or the
    /// client was away longer than the service keeps notifications
    /// (<see cref="RecoveryFailureReason.GapBeyondRetention"/>). An app that keeps state built from the
    /// stream should reload it (for example with <see cref="GetHistoryAsync"/>).
    /// </summary>
    /// <remarks>
    /// Raised on the delivery loop, before the notifications that follow
    /// <see cref="RecoveryFailedEventArgs.Position"/>, and with <see cref="Positions"/> already at that position.
    /// </remarks>
    public event Func<RecoveryFailedEventArgs, Task>? RecoveryFailed;

    /// <summary>
    /// Gets the user id the service knows this client as (the token's <c>sub</c>), learned when the
    /// client resumes on a connection; <see langword="null"/> before that. Its stream is <c>user:{UserId}</c>.
    /// </summary>
    public string? UserId
    {
        get
        {
            lock (_streamsLock)
            {
                return _tracker.User;
            }
        }
    }

    /// <summary>
    /// Gets a snapshot of the client's position in each stream: the last notification handed to the
    /// app (its handlers have run and readers have it buffered), by stream name.
    /// </summary>
    /// <remarks>
    /// Save it when the app stops and pass it to <see cref="PushClientOptions.InitialPositions"/> on
    /// the next start: the client then hands over what was published in between, once each, or raises
    /// <see cref="RecoveryFailed"/> when that is no longer possible. Positions of unsubscribed topics are
    /// dropped; saved positions the client was given but has not used yet are kept.
    /// </remarks>
    public IReadOnlyDictionary<string, StreamPosition> Positions
    {
        get
        {
            lock (_streamsLock)
            {
                return _tracker.Positions;
            }
        }
    }

    /// <summary>
    /// Reads a page of a stream's stored notifications, newest first — for an inbox view. This does
    /// not deliver them to handlers or move <see cref="Positions"/>.
    /// </summary>
    /// <param name="stream">
    /// The stream: <c>user:{id}</c> for the user's own notifications (see <see cref="UserId"/>),
    /// <c>topic:{name}</c> for a topic the token allows, or <c>broadcast</c>.
    /// </param>
    /// <param name="before">
    /// Return notifications with an offset below this one (the last offset of the previous page);
    /// <see langword="null"/> for the newest.
    /// </param>
    /// <param name="limit">The most notifications to return, 1 to 100. The default is 50.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> or <paramref name="before"/> is out of range.</exception>
    /// <exception cref="InvalidOperationException">The client is not connected.</exception>
    /// <exception cref="PushHubException">
    /// The service refused: <see cref="PushSubscriptionErrorCodes.Forbidden"/> or
    /// <see cref="PushSubscriptionErrorCodes.InvalidStream"/>.
    /// </exception>
    public async Task<HistoryPage> GetHistoryAsync(string stream, long? before = null, int limit = 50, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxHistoryLimit);
        if (before is { } beforeOffset)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(beforeOffset, 1, nameof(before));
        }
        ThrowIfDisposed();
        if (_hub.State != HubConnectionState.Connected)
        {
            throw new InvalidOperationException("GetHistoryAsync needs a connection: call StartAsync first, or wait for the client to reconnect.");
        }

        HistoryPageMessage? page;
        try
        {
            page = await _hub.InvokeAsync<HistoryPageMessage?>(HubProtocolNames.History, stream, before, limit, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException ex)
        {
            throw PushHubException.ForMethod(HubProtocolNames.History, ex);
        }
        var epoch = page?.Epoch ?? string.Empty;
        return new HistoryPage
        {
            Stream = string.IsNullOrEmpty(page?.Stream) ? stream : page.Stream,
            Offset = page?.Offset ?? 0,
            Epoch = epoch,
            Notifications = NotificationMapper.ToNotifications(page?.Notifications, stream, epoch),
        };
    }
}
