namespace PushService.Client.Internal;

/// <summary>
/// The client rules of docs/PROTOCOL.md §2 as a state machine without I/O, threads or clocks: per
/// stream it hands each notification on exactly once, in offset order, across live pushes that
/// overtake each other, replays that overlap them, reconnects and epoch changes.
/// </summary>
/// <remarks>
/// <para>
/// Not thread-safe: the owner serialises every call, and the callbacks run inside those calls, so
/// they must only queue work. In call order they report: <c>deliver</c>, the next notification of a
/// stream; <c>moved</c>, a position jump without a delivery (a start, or — with a reason —
/// notifications that cannot be recovered); <c>fetch</c>, ask the service for what follows a
/// position (a single-position Resume), answered through <see cref="Apply"/> or <see cref="Abandon"/>.
/// </para>
/// <para>
/// Pending buffers are bounded: past the capacity the highest offsets are dropped, but the stream
/// remembers how far it is known to reach (<see cref="StreamState.PendingHead"/>), so the dropped
/// ones are fetched like any gap once their predecessors are in — the service stores every
/// notification before pushing it. If it no longer has them, its answer says so and the app is told.
/// </para>
/// </remarks>
internal sealed partial class StreamTracker
{
    public const int DefaultPendingCapacity = 10_000;

    private readonly Dictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StreamPosition> _seeds = new(StringComparer.Ordinal);
    private readonly int _pendingCapacity;
    private readonly Action<Notification> _deliver;
    private readonly Action<string, StreamPosition, RecoveryFailureReason?> _moved;
    private readonly Action<string, long, StreamPosition> _fetch;
    private long _lastRequest;

    // Requests up to this id were made on an earlier connection; answers to them are ignored.
    private long _connectionStart;

    public StreamTracker(
        int pendingCapacity,
        IEnumerable<KeyValuePair<string, StreamPosition>>? seeds,
        Action<Notification> deliver,
        Action<string, StreamPosition, RecoveryFailureReason?> moved,
        Action<string, long, StreamPosition> fetch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pendingCapacity, 1);
        _pendingCapacity = pendingCapacity;
        _deliver = deliver;
        _moved = moved;
        _fetch = fetch;
        foreach (var (stream, position) in seeds ?? [])
        {
            if (!string.IsNullOrEmpty(stream) && !string.IsNullOrEmpty(position.Epoch))
            {
                _seeds[stream] = position;
            }
        }
    }

    /// <summary>The user id from the last Resume answer.</summary>
    public string? User { get; private set; }

    /// <summary>The user stream to resume: the known user's, else one from the saved positions or seen live, else none.</summary>
    public string? UserStream => User is not null
        ? StreamNames.User(User)
        : _seeds.Keys.Concat(_streams.Keys).FirstOrDefault(StreamNames.IsUser);

    /// <summary>The positions handed to the app (acknowledged), plus saved positions of streams not resumed yet.</summary>
    public IReadOnlyDictionary<string, StreamPosition> Positions
    {
        get
        {
            var positions = new Dictionary<string, StreamPosition>(_seeds, StringComparer.Ordinal);
            foreach (var state in _streams.Values)
            {
                if (state.Handed is { Epoch.Length: > 0 } handed)
                {
                    positions[state.Name] = handed;
                }
            }
            return positions;
        }
    }

    /// <summary>A notification pushed live.</summary>
    public void Live(Notification notification)
    {
        if (notification.Stream.Length == 0)
        {
            // A service older than stream positions: there is nothing to order or deduplicate by.
            _deliver(notification);
            return;
        }
        if (!TryGet(notification.Stream, adopt: true, out var state) || state.IsRetired(notification.Epoch))
        {
            return; // Stragglers of an unsubscribed topic or of an epoch the stream has left.
        }
        if (!state.Ready)
        {
            Buffer(state, notification); // Rule 1.
            return;
        }
        if (notification.Epoch != state.Epoch)
        {
            SwitchEpoch(state, notification.Epoch); // Rule 5.
        }
        if (notification.Offset <= state.Offset)
        {
            return; // Rule 2.
        }
        Buffer(state, notification);
        Drain(state); // Rule 3.
        if (state.Request is null && state.HasGap)
        {
            RequestFetch(state); // Rule 4.
        }
    }

    /// <summary>Starts a Subscribe/Resume request; add its streams with <see cref="AddToRequest"/>.</summary>
    public long BeginRequest() => ++_lastRequest;

    /// <summary>Records that <paramref name="request"/> asks about a stream; returns the position to send.</summary>
    public StreamPosition AddToRequest(long request, string stream)
    {
        var state = GetOrCreate(stream);
        var from = new StreamPosition(state.Offset, state.Epoch);
        state.Request = new StreamRequest(request, from, state.PendingEpoch, state.PendingHead);
        return from;
    }

    /// <summary>Whether <paramref name="request"/> is still the one the stream waits for.</summary>
    public bool IsCurrent(long request, string stream)
        => _streams.TryGetValue(stream, out var state) && state.Request?.Id == request;

    /// <summary>The request failed without an answer; the next live notification retries a gap.</summary>
    public void Abandon(long request, string stream)
    {
        if (_streams.TryGetValue(stream, out var state) && state.Request?.Id == request)
        {
            state.Request = null;
        }
    }

    /// <summary>
    /// One stream's answer to a request: a Resume recovery, or a Subscribe position (recovered, no
    /// notifications). Refused streams are not answers: <see cref="Forget"/> them.
    /// </summary>
    public void Apply(long request, string stream, bool recovered, long offset, string epoch, IReadOnlyList<Notification> notifications)
    {
        var current = request > _connectionStart;
        if (!TryGet(stream, adopt: current, out var state))
        {
            return;
        }
        var asked = state.Request;
        if (asked is { } pending)
        {
            if (pending.Id != request)
            {
                return; // Answers an older request.
            }
            state.Request = null;
        }
        else if (state.Ready || !current || !IsImplicit(stream))
        {
            return;
        }
        // Not asked about: the service answers for the user stream and broadcast regardless, from "no position".
        var from = asked?.From ?? default;

        var stale = false;
        if (string.IsNullOrEmpty(from.Epoch))
        {
            MoveTo(state, offset, epoch, reason: null); // No position was sent: start at the service's.
        }
        else if (from.Epoch != state.Epoch || (!recovered && from.Offset != state.Offset))
        {
            stale = true; // The stream moved on while this was in flight (rule 5, or live ones filled the gap).
        }
        else if (recovered && epoch == state.Epoch)
        {
            Replay(state, notifications, offset);
        }
        else
        {
            var reason = epoch != from.Epoch ? RecoveryFailureReason.EpochChanged
                : from.Offset > offset ? RecoveryFailureReason.PositionAhead
                : RecoveryFailureReason.GapBeyondRetention;
            MoveTo(state, offset, epoch, reason);
        }

        state.Ready = true;
        Drain(state);
        if (state.Request is not null || !state.HasGap)
        {
            return;
        }
        // Ask again when there is news since the request; otherwise the service, asked after the far
        // side of the gap had arrived, did not fill it, and asking again would not either.
        if (stale || asked is not { } sent || state.PendingEpoch != sent.SeenEpoch || state.PendingHead > sent.SeenHead)
        {
            RequestFetch(state);
        }
        else
        {
            SkipGap(state);
        }
    }

    /// <summary>
    /// The client is on a new connection and about to resume: every stream waits for its answer
    /// again, and answers to requests made before are ignored. Positions and buffers are kept.
    /// </summary>
    public void NewConnection()
    {
        _connectionStart = _lastRequest;
        foreach (var state in _streams.Values)
        {
            state.Ready = false;
            state.Request = null;
        }
    }

    /// <summary>Records the user id a Resume answer reported; another user's stream is forgotten.</summary>
    public void SetUser(string user)
    {
        User = user;
        var own = StreamNames.User(user);
        foreach (var stream in _streams.Keys.Concat(_seeds.Keys).Where(s => StreamNames.IsUser(s) && s != own).ToList())
        {
            Forget(stream);
        }
    }

    /// <summary>Drops everything about a stream (unsubscribed, or refused).</summary>
    public void Forget(string stream)
    {
        _streams.Remove(stream);
        _seeds.Remove(stream);
    }

    /// <summary>The delivery loop handed the app everything up to this position.</summary>
    public void Acknowledge(string stream, StreamPosition position)
    {
        if (_streams.TryGetValue(stream, out var state))
        {
            state.Handed = position;
        }
    }
}
