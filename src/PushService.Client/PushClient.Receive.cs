using PushService.Client.Internal;
using PushService.Protocol;

namespace PushService.Client;

public sealed partial class PushClient
{
    // Copy-on-write: dispatch reads a snapshot without holding the lock while handlers run.
    private readonly Lock _receiversLock = new();
    private Dictionary<string, Func<Notification, Task>[]> _typeHandlers = new(StringComparer.Ordinal);
    private Func<Notification, Task>[] _anyHandlers = [];
    private NotificationStream[] _readers = [];

    /// <summary>Registers a handler for notifications of one type.</summary>
    /// <param name="type">The notification type, matched exactly (case-sensitive).</param>
    /// <param name="handler">The handler. An exception it throws is logged and does not affect other handlers or the connection.</param>
    /// <returns>A registration; dispose it to remove the handler.</returns>
    public IDisposable On(string type, Func<Notification, Task> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfDisposed();
        lock (_receiversLock)
        {
            var handlers = new Dictionary<string, Func<Notification, Task>[]>(_typeHandlers, StringComparer.Ordinal);
            handlers[type] = [.. handlers.GetValueOrDefault(type) ?? [], handler];
            _typeHandlers = handlers;
        }
        return new Registration(() => RemoveTypeHandler(type, handler));
    }

    /// <summary>Registers a synchronous handler for notifications of one type.</summary>
    /// <param name="type">The notification type, matched exactly (case-sensitive).</param>
    /// <param name="handler">The handler. An exception it throws is logged and does not affect other handlers or the connection.</param>
    /// <returns>A registration; dispose it to remove the handler.</returns>
    public IDisposable On(string type, Action<Notification> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return On(type, ToAsync(handler));
    }

    /// <summary>
    /// Registers a handler for notifications of every type. It runs after the handlers registered
    /// for the notification's type.
    /// </summary>
    /// <param name="handler">The handler. An exception it throws is logged and does not affect other handlers or the connection.</param>
    /// <returns>A registration; dispose it to remove the handler.</returns>
    public IDisposable OnAny(Func<Notification, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfDisposed();
        lock (_receiversLock)
        {
            _anyHandlers = [.. _anyHandlers, handler];
        }
        return new Registration(() =>
        {
            lock (_receiversLock)
            {
                _anyHandlers = Without(_anyHandlers, handler);
            }
        });
    }

    /// <summary>
    /// Registers a synchronous handler for notifications of every type. It runs after the handlers
    /// registered for the notification's type.
    /// </summary>
    /// <param name="handler">The handler. An exception it throws is logged and does not affect other handlers or the connection.</param>
    /// <returns>A registration; dispose it to remove the handler.</returns>
    public IDisposable OnAny(Action<Notification> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return OnAny(ToAsync(handler));
    }

    /// <summary>
    /// Returns every notification, of every type, in the order handed to the app — across reconnects
    /// and restarts — from the moment this method is called.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration (with <see cref="OperationCanceledException"/>) when cancelled.</param>
    /// <returns>
    /// A sequence that can be enumerated once. It buffers up to <see cref="PushClientOptions.ReadBufferCapacity"/>
    /// notifications; if the reader falls further behind, it throws <see cref="PushClientOverflowException"/>
    /// after the buffered ones. It ends normally when the client is disposed.
    /// </returns>
    /// <remarks>
    /// Buffering starts at this call, not at the first <c>MoveNextAsync</c>, so nothing is missed
    /// between calling it and starting to enumerate. Notifications go to readers after the handlers ran.
    /// </remarks>
    public IAsyncEnumerable<Notification> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var reader = new NotificationStream(_readBufferCapacity, RemoveReader);
        lock (_receiversLock)
        {
            ThrowIfDisposed();
            _readers = [.. _readers, reader];
        }
        reader.EndOn(cancellationToken);
        return reader;
    }

    /// <summary>
    /// The one receive path: every notification pushed on any connection goes through the stream
    /// tracker (docs/PROTOCOL.md, client rules) before any handler or reader sees it. It only
    /// decides and enqueues; the delivery loop runs the handlers.
    /// </summary>
    private Task OnNotificationAsync(NotificationMessage message)
    {
        var notification = NotificationMapper.ToNotification(message);
        lock (_streamsLock)
        {
            _tracker.Live(notification);
        }
        return Task.CompletedTask;
    }

    /// <summary>Hands one notification to the type handlers, the any-type handlers, then the readers. Delivery loop only.</summary>
    private async Task DispatchAsync(Notification notification)
    {
        Func<Notification, Task>[]? typeHandlers;
        Func<Notification, Task>[] anyHandlers;
        NotificationStream[] readers;
        lock (_receiversLock)
        {
            typeHandlers = _typeHandlers.GetValueOrDefault(notification.Type);
            anyHandlers = _anyHandlers;
            readers = _readers;
        }

        foreach (var handler in typeHandlers ?? [])
        {
            await InvokeHandlerAsync(handler, notification).ConfigureAwait(false);
        }
        foreach (var handler in anyHandlers)
        {
            await InvokeHandlerAsync(handler, notification).ConfigureAwait(false);
        }
        foreach (var reader in readers)
        {
            if (!reader.TryWrite(notification))
            {
                Log.ReaderOverflowed(_logger, _readBufferCapacity);
            }
        }
    }

    private async Task InvokeHandlerAsync(Func<Notification, Task> handler, Notification notification)
    {
        try
        {
            await handler(notification).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, notification.Type, notification.Id, ex);
        }
    }

    private void RemoveTypeHandler(string type, Func<Notification, Task> handler)
    {
        lock (_receiversLock)
        {
            if (!_typeHandlers.TryGetValue(type, out var current))
            {
                return;
            }
            var handlers = new Dictionary<string, Func<Notification, Task>[]>(_typeHandlers, StringComparer.Ordinal);
            var remaining = Without(current, handler);
            if (remaining.Length == 0)
            {
                handlers.Remove(type);
            }
            else
            {
                handlers[type] = remaining;
            }
            _typeHandlers = handlers;
        }
    }

    private void RemoveReader(NotificationStream reader)
    {
        lock (_receiversLock)
        {
            _readers = Without(_readers, reader);
        }
    }

    private void CompleteReaders()
    {
        NotificationStream[] readers;
        lock (_receiversLock)
        {
            readers = _readers;
            _readers = [];
            _typeHandlers = new(StringComparer.Ordinal);
            _anyHandlers = [];
        }
        foreach (var reader in readers)
        {
            reader.Complete();
        }
    }

    // Removes one occurrence, by reference: the same delegate registered twice is two registrations.
    private static T[] Without<T>(T[] items, T item) where T : class
    {
        var index = Array.FindIndex(items, candidate => ReferenceEquals(candidate, item));
        return index < 0 ? items : [.. items.AsSpan(0, index), .. items.AsSpan(index + 1)];
    }

    private static Func<Notification, Task> ToAsync(Action<Notification> handler) => notification =>
    {
        handler(notification);
        return Task.CompletedTask;
    };

    private sealed class Registration(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
