using System.Threading.Channels;

namespace PushService.Client;

public sealed partial class PushClient
{
    // Everything the app is told about its streams — notifications, recovery failures, refused
    // topics, Reconnected — goes through this queue in the order it was decided, and one loop hands
    // it on. The receive path only enqueues: it never waits for a handler, and a handler may call
    // back into the client (SubscribeAsync, GetHistoryAsync) without deadlocking the connection.
    // Unbounded on purpose: bounding it would mean blocking the receive path behind the handlers.
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions
    {
        SingleReader = true,
    });

    private void Enqueue(Delivery delivery) => _deliveries.Writer.TryWrite(delivery);

    // The tracker's outputs. They run under _streamsLock, so they only enqueue or start a task.
    private void OnTrackerDeliver(Notification notification) => Enqueue(new NotificationDelivery(notification));

    private void OnTrackerMoved(string stream, StreamPosition position, RecoveryFailureReason? reason)
        => Enqueue(reason is { } failure
            ? new RecoveryFailedDelivery(new RecoveryFailedEventArgs(stream, failure, position))
            : new PositionDelivery(stream, position));

    // Off the receive path: an invocation awaited there would wait for the loop that delivers its answer.
    private void OnTrackerFetch(string stream, long request, StreamPosition from)
        => _ = Task.Run(() => FetchGapAsync(stream, request, from));

    private async Task DeliverAllAsync()
    {
        var reader = _deliveries.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var delivery))
            {
                if (Volatile.Read(ref _disposed) != 0)
                {
                    return;
                }
                try
                {
                    await DeliverAsync(delivery).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Handlers' and events' own exceptions are caught where they run; this is a bug
                    // of ours, and one bad item must not stop every later delivery.
                    Log.DeliveryFailed(_logger, ex);
                }
            }
        }
    }

    private async Task DeliverAsync(Delivery delivery)
    {
        switch (delivery)
        {
            case NotificationDelivery { Notification: var notification }:
                await DispatchAsync(notification).ConfigureAwait(false);
                if (notification.Stream.Length > 0)
                {
                    Acknowledge(notification.Stream, new StreamPosition(notification.Offset, notification.Epoch));
                }
                break;
            case PositionDelivery { Stream: var stream, Position: var position }:
                Acknowledge(stream, position);
                break;
            case RecoveryFailedDelivery { Args: var args }:
                // Acknowledged first, so that a handler that reloads and then saves Positions saves the new one.
                Acknowledge(args.Stream, args.Position);
                Log.RecoveryFailed(_logger, args.Stream, args.Reason, args.Position.Offset);
                await RaiseAsync(RecoveryFailed, args, nameof(RecoveryFailed)).ConfigureAwait(false);
                break;
            case SubscriptionFailedDelivery { Error: var error }:
                await RaiseAsync(SubscriptionFailed, error, nameof(SubscriptionFailed)).ConfigureAwait(false);
                break;
            case ReconnectedDelivery { ConnectionId: var connectionId }:
                await RaiseAsync(Reconnected, connectionId, nameof(Reconnected)).ConfigureAwait(false);
                break;
        }
    }

    private void Acknowledge(string stream, StreamPosition position)
    {
        lock (_streamsLock)
        {
            _tracker.Acknowledge(stream, position);
        }
    }

    private abstract record Delivery;

    private sealed record NotificationDelivery(Notification Notification) : Delivery;

    /// <summary>A stream's position moved without a notification (its start): recorded in order.</summary>
    private sealed record PositionDelivery(string Stream, StreamPosition Position) : Delivery;

    private sealed record RecoveryFailedDelivery(RecoveryFailedEventArgs Args) : Delivery;

    private sealed record SubscriptionFailedDelivery(PushSubscriptionException Error) : Delivery;

    private sealed record ReconnectedDelivery(string? ConnectionId) : Delivery;
}
