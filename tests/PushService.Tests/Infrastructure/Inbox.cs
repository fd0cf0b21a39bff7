using System.Runtime.CompilerServices;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// Collects what a client receives and lets a test await an item with a timeout. "Not received"
/// is proven by awaiting a later sentinel on the same connection, never by waiting a while.
/// </summary>
public sealed class Inbox<T>
{
    private readonly Lock _gate = new();
    private readonly List<T> _items = [];
    private readonly List<(Func<T, bool> Match, TaskCompletionSource<T> Waiter)> _waiters = [];

    public IReadOnlyList<T> Items
    {
        get
        {
            lock (_gate)
            {
                return [.. _items];
            }
        }
    }

    public void Add(T item)
    {
        List<TaskCompletionSource<T>> matched = [];
        lock (_gate)
        {
            _items.Add(item);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(item))
                {
                    matched.Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var waiter in matched)
        {
            waiter.TrySetResult(item);
        }
    }

    public Task<T> WaitForAsync(Func<T, bool> match, TimeSpan? timeout = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var waiter = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var item in _items)
            {
                if (match(item))
                {
                    return Task.FromResult(item);
                }
            }
            _waiters.Add((match, waiter));
        }
        return waiter.Task.DefaultTimeout(timeout, file, line);
    }
}
