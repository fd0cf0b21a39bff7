namespace PushService.Client.Internal;

// The rules themselves: how notifications are buffered, drained, and how the position moves.
internal sealed partial class StreamTracker
{
    private void Replay(StreamState state, IReadOnlyList<Notification> notifications, long head)
    {
        foreach (var notification in notifications)
        {
            if (notification.Offset == state.Offset + 1)
            {
                state.Offset = notification.Offset;
                _deliver(notification);
            }
            else if (notification.Offset > state.Offset)
            {
                Buffer(state, notification with { Epoch = state.Epoch });
            }
        }
        // The service says the stream reaches this far; if it did not send it all, that is a gap.
        if (state.PendingEpoch.Length == 0 || state.PendingEpoch == state.Epoch)
        {
            state.PendingEpoch = state.Epoch;
            state.PendingHead = Math.Max(state.PendingHead, head);
        }
    }

    private void Buffer(StreamState state, Notification notification)
    {
        if (notification.Epoch != state.PendingEpoch)
        {
            // One epoch at a time. Epochs are never reused, so the later-seen one is the newer.
            state.ClearPending();
            state.PendingEpoch = notification.Epoch;
        }
        state.PendingHead = Math.Max(state.PendingHead, notification.Offset);
        state.Pending.Add(notification); // A duplicate offset keeps the first copy.
        if (state.Pending.Count > _pendingCapacity)
        {
            state.Pending.Remove(state.Pending.Max!); // Fetched later as a gap: PendingHead still covers it.
        }
    }

    private void Drain(StreamState state)
    {
        if (state.PendingEpoch.Length > 0 && state.PendingEpoch != state.Epoch)
        {
            if (state.IsRetired(state.PendingEpoch))
            {
                state.ClearPending();
            }
            else
            {
                SwitchEpoch(state, state.PendingEpoch); // Seen while the answer was on its way: rule 5.
            }
        }
        while (state.Pending.Min is { } next && next.Offset <= state.Offset + 1)
        {
            state.Pending.Remove(next);
            if (next.Offset == state.Offset + 1)
            {
                state.Offset = next.Offset;
                _deliver(next);
            }
        }
    }

    // The stream's history was lost: continue in the new epoch from 0; what precedes is a gap to fetch.
    private void SwitchEpoch(StreamState state, string epoch)
    {
        MoveTo(state, 0, epoch, state.Epoch.Length == 0 ? null : RecoveryFailureReason.EpochChanged);
        state.Request = null; // An answer about the old epoch no longer applies.
    }

    // The service could not fill the gap: tell the app, and go on with what is buffered.
    private void SkipGap(StreamState state)
    {
        var to = state.Pending.Min is { } next ? next.Offset - 1 : state.PendingHead;
        MoveTo(state, to, state.Epoch, RecoveryFailureReason.GapBeyondRetention);
        Drain(state);
        if (state.HasGap)
        {
            RequestFetch(state); // A further gap: the skip was progress, so this cannot loop.
        }
    }

    private void MoveTo(StreamState state, long offset, string epoch, RecoveryFailureReason? reason)
    {
        if (epoch != state.Epoch)
        {
            state.Retire(state.Epoch);
        }
        state.Epoch = epoch;
        state.Offset = offset;
        _moved(state.Name, new StreamPosition(offset, epoch), reason);
    }

    private void RequestFetch(StreamState state)
    {
        var request = BeginRequest();
        _fetch(state.Name, request, AddToRequest(request, state.Name));
    }

    private bool TryGet(string stream, bool adopt, out StreamState state)
    {
        if (_streams.TryGetValue(stream, out state!))
        {
            return true;
        }
        // The service sends the user stream and broadcast unasked; topics only after Subscribe/Resume.
        if (adopt && IsImplicit(stream))
        {
            state = GetOrCreate(stream);
            return true;
        }
        return false;
    }

    private bool IsImplicit(string stream) => stream == StreamNames.Broadcast
        || (StreamNames.IsUser(stream) && (User is null || stream == StreamNames.User(User)));

    private StreamState GetOrCreate(string stream)
    {
        if (!_streams.TryGetValue(stream, out var state))
        {
            state = new StreamState(stream);
            if (_seeds.Remove(stream, out var seed))
            {
                state.Epoch = seed.Epoch;
                state.Offset = seed.Offset;
                state.Handed = seed;
            }
            _streams.Add(stream, state);
        }
        return state;
    }
}
