namespace PushService.Client;

/// <summary>Why the client could not hand a stream's missed notifications to the app.</summary>
public enum RecoveryFailureReason
{
    /// <summary>
    /// The stream's history was lost (for example the service's store restarted without
    /// persistence): its epoch changed and offsets started again at 1.
    /// </summary>
    EpochChanged = 0,

    /// <summary>
    /// Notifications after the client's position are no longer kept: more were published than the
    /// service keeps per stream, or they expired.
    /// </summary>
    GapBeyondRetention = 1,

    /// <summary>
    /// The client's position is ahead of the stream, for example a stale or foreign entry in
    /// <see cref="PushClientOptions.InitialPositions"/>.
    /// </summary>
    PositionAhead = 2,
}
