namespace PushService.Client;

/// <summary>
/// Data for <see cref="PushClient.RecoveryFailed"/>: some notifications of a stream were not handed
/// to the app and cannot be any more. An app that keeps state built from a stream should reload it.
/// </summary>
public sealed class RecoveryFailedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RecoveryFailedEventArgs"/> class.</summary>
    /// <param name="stream">The stream: <c>user:{id}</c>, <c>topic:{name}</c> or <c>broadcast</c>.</param>
    /// <param name="reason">Why the notifications could not be recovered.</param>
    /// <param name="position">The position the client continues from.</param>
    public RecoveryFailedEventArgs(string stream, RecoveryFailureReason reason, StreamPosition position)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        Stream = stream;
        Reason = reason;
        Position = position;
    }

    /// <summary>Gets the stream: <c>user:{id}</c>, <c>topic:{name}</c> or <c>broadcast</c>.</summary>
    public string Stream { get; }

    /// <summary>Gets why the notifications could not be recovered.</summary>
    public RecoveryFailureReason Reason { get; }

    /// <summary>
    /// Gets the position the client continues from: the notifications after it are handed to the
    /// app as usual, after this event.
    /// </summary>
    public StreamPosition Position { get; }
}
