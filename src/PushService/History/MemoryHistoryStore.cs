using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace PushService.History;

/// <summary>
/// The single-node history engine. Each stream has its own lock, a ring of its last
/// <c>Size</c> entries and its idempotency records; the lock makes offset assignment and the
/// duplicate check one step, and appends taken in call order get offsets in that order.
/// </summary>
/// <remarks>
/// Everything ends by time, as in Redis: an entry with its <c>Ttl</c>, an idempotency record
/// with its window, a stream's epoch <c>MetaTtl</c> after its last append. Each use of a stream
/// drops what has ended there; a periodic sweep does the same for streams nobody touches and
/// forgets them, so memory follows traffic and does not grow with the number of names ever seen.
/// </remarks>
internal sealed class MemoryHistoryStore : IHistoryStore, IDisposable
{
    private readonly ConcurrentDictionary<string, StreamState> _streams = new(StringComparer.Ordinal);
    private readonly HistoryOptions _options;
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public MemoryHistoryStore(IOptions<HistoryOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var period = SweepPeriod(_options);
        _sweeper = time.CreateTimer(static store => ((MemoryHistoryStore)store!).Sweep(), this, period, period);
    }

    public Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, CancellationToken cancellationToken = default)
        => AppendAsync(stream, entry, push: null, cancellationToken);

    /// <summary>Appends; never publishes (<see cref="LivePush"/> is for stores with a channel of their own).</summary>
    public Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, LivePush? push, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // Detached from the caller's JsonDocument, whose buffer may go back to a pool after the
        // request; free when the data already stands alone, as deserialized data does.
        var normalized = HistoryRules.Normalized(entry);
        var stored = normalized with { Data = normalized.Data.Clone() };
        return Task.FromResult(Use(stream, (state, now) => state.Append(stored, now, _options)));
    }

    public Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken = default)
        => Task.FromResult(Use(stream, static (state, _) => state.Position));

    public Task<RecoveryResult> ReadSinceAsync(string stream, StreamPosition since, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return Task.FromResult(Use(stream, (state, now) => state.ReadSince(since, limit, now, _options.Ttl)));
    }

    public Task<HistoryPage> ReadBeforeAsync(string stream, long? beforeOffset, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return Task.FromResult(Use(stream, (state, now) => state.ReadBefore(beforeOffset, limit, now, _options.Ttl)));
    }

    /// <summary>Drops what has ended in every stream and forgets streams with nothing left.</summary>
    internal void Sweep()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var (name, state) in _streams)
        {
            lock (state.Gate)
            {
                state.Expire(now, _options);
                if (state.IsEmpty)
                {
                    // Marked under the lock: a caller holding this instance retries with a new one.
                    state.Removed = true;
                    _streams.TryRemove(new KeyValuePair<string, StreamState>(name, state));
                }
            }
        }
    }

    /// <summary>What is held now, for tests of the memory bound.</summary>
    internal (int Streams, int Entries, int IdempotencyRecords) Footprint()
    {
        var (streams, entries, records) = (0, 0, 0);
        foreach (var (_, state) in _streams)
        {
            lock (state.Gate)
            {
                (streams, entries, records) = (streams + 1, entries + state.Entries.Count, records + state.Ids.Count);
            }
        }
        return (streams, entries, records);
    }

    public void Dispose() => _sweeper.Dispose();

    private T Use<T>(string stream, Func<StreamState, DateTime, T> action)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        while (true)
        {
            var state = _streams.GetOrAdd(stream, static _ => new StreamState());
            lock (state.Gate)
            {
                if (state.Removed)
                {
                    continue;
                }
                var now = _time.GetUtcNow().UtcDateTime;
                state.Expire(now, _options);
                state.EnsureEpoch(now, _options.MetaTtl);
                return action(state, now);
            }
        }
    }

    // Lazy expiry keeps answers exact; the sweep only bounds memory, so once a minute (or per
    // shortest lifetime) is enough.
    private static TimeSpan SweepPeriod(HistoryOptions options)
    {
        var shortest = new[] { TimeSpan.FromMinutes(1), options.Ttl, options.MetaTtl, options.IdempotencyWindow }.Min();
        return shortest < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : shortest;
    }

    private readonly record struct IdempotencyRecord(StreamPosition Position, DateTime CreatedAt, DateTime ExpiresAt);

    /// <summary>One stream; every member is used under <see cref="Gate"/>.</summary>
    private sealed class StreamState
    {
        public readonly Lock Gate = new();
        public readonly EntryRing Entries = new();
        public readonly Dictionary<string, IdempotencyRecord> Ids = new(StringComparer.Ordinal);
        private readonly Queue<(string Id, DateTime ExpiresAt)> _idsByExpiry = new();
        private string? _epoch;
        private long _offset;
        private DateTime _epochExpiresAt;

        public bool Removed { get; set; }

        public bool IsEmpty => _epoch is null && Ids.Count == 0;

        public StreamPosition Position => new(_offset, _epoch!);

        public void EnsureEpoch(DateTime now, TimeSpan metaTtl)
        {
            if (_epoch is null)
            {
                (_epoch, _offset, _epochExpiresAt) = (HistoryRules.NewEpoch(), 0, now + metaTtl);
            }
        }

        public void Expire(DateTime now, HistoryOptions options)
        {
            if (_epoch is not null && now >= _epochExpiresAt)
            {
                (_epoch, _offset) = (null, 0);
                Entries.Clear();
            }
            // Entries are trimmed from the oldest: creation times follow offsets closely enough, and
            // a younger entry stuck behind an older one is read-filtered anyway.
            while (Entries.Count > 0 && HistoryRules.IsExpired(Entries[0].Entry, now, options.Ttl))
            {
                Entries.RemoveOldest();
            }
            while (_idsByExpiry.TryPeek(out var head) && head.ExpiresAt <= now)
            {
                _idsByExpiry.Dequeue();
                // The id may have been accepted again since; only its own record goes.
                if (Ids.TryGetValue(head.Id, out var record) && record.ExpiresAt == head.ExpiresAt)
                {
                    Ids.Remove(head.Id);
                }
            }
        }

        public AppendResult Append(HistoryEntry entry, DateTime now, HistoryOptions options)
        {
            if (Ids.TryGetValue(entry.Id, out var prior) && prior.ExpiresAt > now)
            {
                // The original position, even from an epoch since lost: the id was accepted then.
                return new AppendResult(prior.Position, prior.CreatedAt, Duplicate: true);
            }
            _offset++;
            _epochExpiresAt = now + options.MetaTtl;
            Entries.Add(new StreamEntry(_offset, entry), options.Size);
            var record = new IdempotencyRecord(Position, entry.CreatedAt, now + options.IdempotencyWindow);
            Ids[entry.Id] = record;
            _idsByExpiry.Enqueue((entry.Id, record.ExpiresAt));
            return new AppendResult(Position, entry.CreatedAt, Duplicate: false);
        }

        public RecoveryResult ReadSince(StreamPosition since, int limit, DateTime now, TimeSpan ttl)
        {
            if (since.Epoch != _epoch || since.Offset < 0 || since.Offset > _offset)
            {
                return new RecoveryResult(false, Position, []);
            }
            var first = _offset - Entries.Count + 1;
            if (since.Offset + 1 < first)
            {
                return new RecoveryResult(false, Position, []);
            }
            if (_offset - since.Offset > limit)
            {
                return new RecoveryResult(false, Position, []);
            }
            var count = (int)(_offset - since.Offset);
            var entries = new StreamEntry[count];
            for (var i = 0; i < count; i++)
            {
                entries[i] = Entries[(int)(since.Offset + 1 + i - first)];
                if (HistoryRules.IsExpired(entries[i].Entry, now, ttl))
                {
                    return new RecoveryResult(false, Position, []);
                }
            }
            return new RecoveryResult(true, Position, entries);
        }

        public HistoryPage ReadBefore(long? beforeOffset, int limit, DateTime now, TimeSpan ttl)
        {
            var first = _offset - Entries.Count + 1;
            var newest = beforeOffset is { } before ? (before <= 1 ? 0 : Math.Min(before - 1, _offset)) : _offset;
            var entries = new List<StreamEntry>();
            // Like Redis's XREVRANGE … COUNT: the limit counts retained entries, expired ones are then left out.
            for (var offset = newest; offset >= first && offset > newest - limit; offset--)
            {
                var entry = Entries[(int)(offset - first)];
                if (!HistoryRules.IsExpired(entry.Entry, now, ttl))
                {
                    entries.Add(entry);
                }
            }
            return new HistoryPage(Position, entries);
        }
    }

    /// <summary>The last entries of a stream, oldest first; the array grows with use up to the size.</summary>
    private sealed class EntryRing
    {
        private StreamEntry[] _items = [];
        private int _head;

        public int Count { get; private set; }

        public StreamEntry this[int index] => _items[(_head + index) % _items.Length];

        public void Add(StreamEntry entry, int size)
        {
            if (Count == size)
            {
                _items[_head] = entry;
                _head = (_head + 1) % _items.Length;
                return;
            }
            if (Count == _items.Length)
            {
                var grown = new StreamEntry[Math.Min(size, Math.Max(4, Count * 2))];
                for (var i = 0; i < Count; i++)
                {
                    grown[i] = this[i];
                }
                (_items, _head) = (grown, 0);
            }
            _items[(_head + Count) % _items.Length] = entry;
            Count++;
        }

        public void RemoveOldest()
        {
            _items[_head] = null!;
            _head = (_head + 1) % _items.Length;
            if (--Count == 0)
            {
                Clear();
            }
        }

        public void Clear() => (_items, _head, Count) = ([], 0, 0);
    }
}
