using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using HdrHistogram;

namespace PushService.Bench;

/// <summary>
/// Counts what subscribers receive: each (subscriber, seq) once, a second copy as a duplicate;
/// latencies of notifications sent inside the measured window; and, for a bounded in-flight
/// window, when the last expected copy of a notification arrived.
/// </summary>
/// <remarks>
/// Each subscriber's notifications arrive on one receive path at a time, so its seen-set needs no
/// lock. Subscriber <c>i</c> sees seqs whose index <c>seq / stride</c> is unique to it: stride 1
/// when everyone receives every seq (a topic), S when seq k goes to subscriber k mod S (users).
/// </remarks>
internal sealed class DeliveryRecorder : INotificationSink
{
    private readonly SeenSet[] _seen;
    private readonly int _stride;
    private readonly ConcurrentDictionary<long, StrongBox<int>> _inFlight = new();
    private long _received;
    private long _duplicates;
    private long _foreign;

    public DeliveryRecorder(int subscribers, int stride)
    {
        _seen = [.. Enumerable.Range(0, subscribers).Select(_ => new SeenSet())];
        _stride = stride;
    }

    /// <summary>Publish→handler: from the moment the publisher sent it.</summary>
    public HistogramBase FromSend { get; } = Histograms.Create();

    /// <summary>From the moment the clock scheduled the send (open loop): includes any lag of the sender.</summary>
    public HistogramBase FromSchedule { get; } = Histograms.Create();

    /// <summary>Latencies are recorded for notifications sent in [MeasureFrom, MeasureTo) (Stopwatch ticks).</summary>
    public long MeasureFrom { get; set; } = long.MaxValue;

    public long MeasureTo { get; set; } = long.MaxValue;

    /// <summary>Called (on a receive path) when the last expected copy of a seq arrived.</summary>
    public Action<long>? Completed { get; set; }

    public long Received => Interlocked.Read(ref _received);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Notifications without a seq of this run (e.g. from another run on the same nodes).</summary>
    public long Foreign => Interlocked.Read(ref _foreign);

    public void Expect(long seq, int recipients) => _inFlight[seq] = new StrongBox<int>(recipients);

    public void Forget(long seq) => _inFlight.TryRemove(seq, out _);

    public bool Seen(int subscriber, long seq) => _seen[subscriber].Contains(seq / _stride);

    public void OnNotification(int subscriber, long sent, long scheduled, long seq, long now)
    {
        if (seq < 0 || subscriber >= _seen.Length)
        {
            Interlocked.Increment(ref _foreign);
            return;
        }
        if (!_seen[subscriber].Add(seq / _stride))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }
        Interlocked.Increment(ref _received);
        if (sent >= MeasureFrom && sent < MeasureTo)
        {
            FromSend.RecordTicks(now - sent);
            if (scheduled > 0)
            {
                FromSchedule.RecordTicks(now - scheduled);
            }
        }
        if (_inFlight.TryGetValue(seq, out var remaining) && Interlocked.Decrement(ref remaining.Value) == 0 && _inFlight.TryRemove(seq, out _))
        {
            Completed?.Invoke(seq);
        }
    }

    /// <summary>A growable bit set, written by one thread at a time.</summary>
    private sealed class SeenSet
    {
        private ulong[] _bits = new ulong[4];

        public bool Contains(long index) => index >> 6 < _bits.Length && (Volatile.Read(ref _bits[index >> 6]) & (1UL << (int)(index & 63))) != 0;

        public bool Add(long index)
        {
            var word = (int)(index >> 6);
            if (word >= _bits.Length)
            {
                Array.Resize(ref _bits, Math.Max(word + 1, _bits.Length * 2));
            }
            var mask = 1UL << (int)(index & 63);
            if ((_bits[word] & mask) != 0)
            {
                return false;
            }
            _bits[word] |= mask;
            return true;
        }
    }
}
