namespace PushService.Client.Internal;

/// <summary>What <see cref="StreamTracker"/> knows about one stream. Mutated only by the tracker.</summary>
internal sealed class StreamState(string name)
{
    private const int RetiredEpochsKept = 4;
    private static readonly Comparer<Notification> s_byOffset = Comparer<Notification>.Create((x, y) => x.Offset.CompareTo(y.Offset));

    private readonly List<string> _retiredEpochs = [];

    public string Name { get; } = name;

    /// <summary>The epoch of <see cref="Offset"/>; empty while the client has no position.</summary>
    public string Epoch { get; set; } = "";

    /// <summary>The offset of the last notification handed on for delivery.</summary>
    public long Offset { get; set; }

    /// <summary>
    /// True once a Subscribe/Resume answer set the position on the current connection; until then
    /// live notifications are only buffered (rule 1).
    /// </summary>
    public bool Ready { get; set; }

    /// <summary>Live (or replayed) notifications waiting for their predecessors, all in <see cref="PendingEpoch"/>.</summary>
    public SortedSet<Notification> Pending { get; } = new(s_byOffset);

    /// <summary>The epoch of the notifications in <see cref="Pending"/>; empty when nothing was seen.</summary>
    public string PendingEpoch { get; set; } = "";

    /// <summary>
    /// The highest offset seen in <see cref="PendingEpoch"/>, including notifications dropped when
    /// <see cref="Pending"/> overflowed: the stream is known to reach at least this far.
    /// </summary>
    public long PendingHead { get; set; }

    /// <summary>The Subscribe/Resume invocation whose answer this stream waits for, if any.</summary>
    public StreamRequest? Request { get; set; }

    /// <summary>The position the app has been handed, as acknowledged by the delivery loop.</summary>
    public StreamPosition? Handed { get; set; }

    public bool HasGap => PendingEpoch == Epoch && PendingHead > Offset;

    public bool IsRetired(string epoch) => _retiredEpochs.Contains(epoch);

    /// <summary>Remembers an epoch the stream left, so that late notifications of it are dropped.</summary>
    public void Retire(string epoch)
    {
        if (epoch.Length == 0 || _retiredEpochs.Contains(epoch))
        {
            return;
        }
        if (_retiredEpochs.Count == RetiredEpochsKept)
        {
            _retiredEpochs.RemoveAt(0);
        }
        _retiredEpochs.Add(epoch);
    }

    public void ClearPending()
    {
        Pending.Clear();
        PendingEpoch = "";
        PendingHead = 0;
    }
}

/// <summary>
/// An outstanding Subscribe/Resume for a stream: its id, the position sent, and how far the
/// stream was known to reach when it was sent (to tell a stale answer from one that cannot fill a gap).
/// </summary>
internal readonly record struct StreamRequest(long Id, StreamPosition From, string SeenEpoch, long SeenHead);
