namespace PushService.Client;

/// <summary>
/// A place in a stream: the <see cref="Offset"/> of the last notification handed to the app, within
/// an <see cref="Epoch"/>. Save <see cref="PushClient.Positions"/> and pass them back through
/// <see cref="PushClientOptions.InitialPositions"/> so that a restarted app resumes where it stopped.
/// </summary>
/// <param name="Offset">The offset of the last notification handed to the app; 0 before the first.</param>
/// <param name="Epoch">
/// The stream's epoch, an opaque string that changes whenever the stream's history is lost (offsets
/// then start again at 1). Empty means "no position yet".
/// </param>
public readonly record struct StreamPosition(long Offset, string Epoch);
