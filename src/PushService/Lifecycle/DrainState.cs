namespace PushService.Lifecycle;

/// <summary>Whether this node is leaving, and how many publishes are still in flight on it.</summary>
internal sealed class DrainState
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public int InFlightPublishes => Volatile.Read(ref _inFlight);

    public void BeginDraining() => _draining = true;

    /// <summary>Counts a publish until the returned scope is disposed.</summary>
    public PublishScope TrackPublish()
    {
        Interlocked.Increment(ref _inFlight);
        return new PublishScope(this);
    }

    /// <summary>Completes when draining has started and no publish is in flight.</summary>
    public Task PublishesDone()
    {
        if (_draining && InFlightPublishes == 0)
        {
            _drained.TrySetResult();
        }
        return _drained.Task;
    }

    private void EndPublish()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _draining)
        {
            _drained.TrySetResult();
        }
    }

    internal readonly struct PublishScope(DrainState state) : IDisposable
    {
        public void Dispose() => state.EndPublish();
    }
}
