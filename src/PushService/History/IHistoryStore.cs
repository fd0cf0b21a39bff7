using System.Text.Json;

namespace PushService.History;

/// <summary>
/// The per-stream log behind "nothing lost": every accepted notification is appended to each of
/// its streams before it is pushed, and a client that missed some reads them back by position.
/// </summary>
/// <remarks>
/// <para>Contract, for every implementation (one specification test class checks it for all):</para>
/// <list type="bullet">
/// <item>Offsets are assigned by <see cref="AppendAsync"/> atomically per stream: 1, 2, 3… with no
/// gap and no reuse within an epoch, whatever the number of concurrent appenders and nodes.</item>
/// <item>The idempotency check is part of the same atomic step: an entry whose id the stream
/// already holds (within <c>Push:History:IdempotencyWindow</c>) is not appended again; the original
/// offset and creation time come back with <see cref="AppendResult.Duplicate"/> set.</item>
/// <item>Append and live push are one atomic step where the store publishes (Redis, with a
/// <see cref="LivePush"/>), two steps otherwise; either way pushes are not serialised across
/// nodes: pushes of one stream may reach a client out of offset order. Clients restore
/// order and fill gaps from the log (docs/PROTOCOL.md, "Resume"). What the store guarantees is
/// that an offset is readable before anyone can have been sent it.</item>
/// <item>The epoch changes whenever a stream's history is lost (its metadata expired, or the
/// backing store restarted without persistence); offsets then start again at 1.</item>
/// <item>A stream keeps its last <c>Push:History:Size</c> entries; entries older than
/// <c>Push:History:Ttl</c> are never served. Reads report honestly whether they are complete.</item>
/// </list>
/// </remarks>
internal interface IHistoryStore
{
    /// <summary>Appends the entry to the stream, unless the stream already has an entry with its id.</summary>
    /// <exception cref="StoreUnavailableException">The store cannot be reached; nothing may be assumed stored.</exception>
    Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends as above and, when the store can and <paramref name="push"/> is given, publishes the
    /// live message in the same atomic step — for a duplicate too, at its original position
    /// (<see cref="AppendResult.Pushed"/> says whether it did).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The store cannot be reached; nothing may be assumed stored.</exception>
    Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, LivePush? push, CancellationToken cancellationToken = default);

    /// <summary>The stream's current position (offset of its last entry, 0 when none) and epoch.</summary>
    Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken = default);

    /// <summary>
    /// All the entries after <paramref name="since"/>, oldest first — never some of them. Not
    /// recovered (and no entries) when the epoch differs, when <c>since.Offset</c> is beyond the
    /// stream's position, when any entry after it is no longer retained, or when there are more
    /// than <paramref name="limit"/>.
    /// </summary>
    Task<RecoveryResult> ReadSinceAsync(string stream, StreamPosition since, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> retained entries with an offset below <paramref name="beforeOffset"/>
    /// (or the newest, when null), newest first.
    /// </summary>
    Task<HistoryPage> ReadBeforeAsync(string stream, long? beforeOffset, int limit, CancellationToken cancellationToken = default);
}

/// <summary>What a stream stores of a notification; the stream itself says whom it was for.</summary>
internal sealed record HistoryEntry(string Id, string Type, JsonElement Data, DateTime CreatedAt);

/// <summary>A place in a stream: an offset within an epoch.</summary>
internal readonly record struct StreamPosition(long Offset, string Epoch);

/// <summary>An entry with its offset.</summary>
internal sealed record StreamEntry(long Offset, HistoryEntry Entry);

/// <param name="Position">The entry's offset and the stream's epoch.</param>
/// <param name="CreatedAt">The stored creation time: the original one for a duplicate.</param>
/// <param name="Duplicate">True when the id was already in the stream and nothing was appended.</param>
/// <param name="Pushed">True when the store also published the live message (<see cref="LivePush"/>).</param>
internal sealed record AppendResult(StreamPosition Position, DateTime CreatedAt, bool Duplicate, bool Pushed = false);

/// <summary>
/// A live message to publish with an append: on <paramref name="Channel"/> (a Redis channel's full
/// name), <c>"{offset}:{createdAt}:{epoch}\n"</c> (createdAt as <c>DateTime.ToBinary</c>) followed
/// by <paramref name="Template"/>, the message as JSON without its position.
/// </summary>
internal sealed record LivePush(string Channel, byte[] Template);

/// <param name="Recovered">True when <paramref name="Entries"/> is everything after the requested position (up to the limit).</param>
/// <param name="Current">The stream's position now.</param>
internal sealed record RecoveryResult(bool Recovered, StreamPosition Current, IReadOnlyList<StreamEntry> Entries);

/// <param name="Current">The stream's position now.</param>
/// <param name="Entries">Newest first.</param>
internal sealed record HistoryPage(StreamPosition Current, IReadOnlyList<StreamEntry> Entries);

/// <summary>A store (history or presence) could not be reached or did not answer in time.</summary>
internal sealed class StoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);
