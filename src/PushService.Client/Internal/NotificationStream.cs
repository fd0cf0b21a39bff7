using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace PushService.Client.Internal;

/// <summary>
/// One <see cref="PushClient.ReadAllAsync"/> view: a bounded buffer that the receive path writes to
/// without ever waiting. A full buffer ends the view with <see cref="PushClientOverflowException"/>:
/// waiting would stall every handler and reader of the connection, dropping would lose silently.
/// </summary>
internal sealed class NotificationStream : IAsyncEnumerable<Notification>
{
    private readonly Channel<Notification> _channel;
    private readonly int _capacity;
    private readonly Action<NotificationStream> _remove;
    private CancellationToken _cancellationToken;
    private CancellationTokenRegistration _cancellationRegistration;
    private int _enumerated;

    public NotificationStream(int capacity, Action<NotificationStream> remove)
    {
        _capacity = capacity;
        _remove = remove;
        _channel = Channel.CreateBounded<Notification>(new BoundedChannelOptions(capacity)
        {
            // Wait mode makes TryWrite fail when full instead of dropping anything.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
    }

    /// <summary>Ends the view when the token is cancelled, even if it is never enumerated. Call once, after registering the view.</summary>
    public void EndOn(CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _cancellationRegistration = cancellationToken.UnsafeRegister(
            static state => ((NotificationStream)state!).Complete(), this);
    }

    /// <summary>Buffers a notification; false (and the view ends) when the buffer is full.</summary>
    public bool TryWrite(Notification notification)
    {
        if (_channel.Writer.TryWrite(notification))
        {
            return true;
        }
        if (_channel.Writer.TryComplete(new PushClientOverflowException(_capacity)))
        {
            _remove(this);
            return false;
        }
        return true; // Already completed: nothing is being lost that the reader still expects.
    }

    /// <summary>Ends the view after the buffered notifications.</summary>
    public void Complete()
    {
        _channel.Writer.TryComplete();
        _cancellationRegistration.Unregister();
        _remove(this);
    }

    public IAsyncEnumerator<Notification> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("The sequence returned by PushClient.ReadAllAsync can be enumerated only once. Call ReadAllAsync again for another view.");
        }
        return ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<Notification> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, cancellationToken);
        try
        {
            var reader = _channel.Reader;
            while (await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var notification))
                {
                    yield return notification;
                }
            }
            // Cancellation completes the channel too; make it surface as cancellation, not as the end.
            linked.Token.ThrowIfCancellationRequested();
        }
        finally
        {
            Complete();
        }
    }
}
