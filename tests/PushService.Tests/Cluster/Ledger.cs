using System.Text;
using PushService.Client;

namespace PushService.Tests.Cluster;

/// <summary>
/// The record a "nothing lost" test ends with: every publish the service accepted (answered
/// 202) with the streams it addressed, and per client every notification handed to the app, in
/// the order it was handed over. <see cref="AssertComplete"/> compares the two. Thread-safe.
/// </summary>
/// <remarks>
/// A publish is <em>attempted</em> when first sent and <em>accepted</em> once answered 202. One
/// attempted but never accepted (the publisher gave up) is in doubt: it may have been stored and
/// delivered, once, or not at all. Anything delivered that was never attempted is a bug.
/// </remarks>
public sealed class Ledger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string[]> _attempted = new(StringComparer.Ordinal);
    private readonly HashSet<string> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ClientLedger> _clients = new(StringComparer.Ordinal);

    // The offset each (stream, epoch, id) got, as the first client saw it: every other client
    // must see the same one.
    private readonly Dictionary<(string Stream, string Epoch, string Id), long> _offsets = [];
    private readonly List<string> _conflicts = [];

    /// <summary>Records a publish about to be sent, with the streams it addresses (<c>user:x</c>, <c>topic:y</c>, <c>broadcast</c>).</summary>
    public void Attempted(string id, IEnumerable<string> streams)
    {
        lock (_gate)
        {
            _attempted.TryAdd(id, [.. streams]);
        }
    }

    /// <summary>Records a 202 for a publish recorded by <see cref="Attempted"/>. Idempotent.</summary>
    public void Accepted(string id)
    {
        lock (_gate)
        {
            if (!_attempted.ContainsKey(id))
            {
                throw new InvalidOperationException($"Publish '{id}' was accepted but never recorded as attempted.");
            }
            _accepted.Add(id);
        }
    }

    public int AcceptedCount
    {
        get
        {
            lock (_gate)
            {
                return _accepted.Count;
            }
        }
    }

    /// <summary>The accepted ids that address <paramref name="stream"/>.</summary>
    public IReadOnlySet<string> AcceptedFor(string stream)
    {
        lock (_gate)
        {
            return _accepted.Where(id => _attempted[id].Contains(stream, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
        }
    }

    /// <summary>Ids attempted but never accepted: the publisher gave up on them.</summary>
    public IReadOnlyList<string> InDoubt
    {
        get
        {
            lock (_gate)
            {
                return [.. _attempted.Keys.Where(id => !_accepted.Contains(id))];
            }
        }
    }

    /// <summary>The record of one client; created on first use.</summary>
    public ClientLedger Client(string name)
    {
        lock (_gate)
        {
            if (!_clients.TryGetValue(name, out var client))
            {
                client = new ClientLedger(name, this);
                _clients[name] = client;
            }
            return client;
        }
    }

    /// <summary>
    /// Every accepted publish for <paramref name="streams"/> was handed to the client exactly once
    /// on each of them; per stream, offsets strictly increase in delivery order (within an epoch);
    /// nothing else was delivered; no recovery failure unless <paramref name="allowRecoveryFailures"/>.
    /// </summary>
    public void AssertComplete(string client, IEnumerable<string> streams, bool allowRecoveryFailures = false)
    {
        var problems = Check(client, streams, allowRecoveryFailures);
        if (problems.Length > 0)
        {
            throw new Xunit.Sdk.XunitException(problems);
        }
    }

    /// <summary>The problems <see cref="AssertComplete"/> would report, or an empty string.</summary>
    public string Check(string client, IEnumerable<string> streams, bool allowRecoveryFailures = false)
    {
        var expectedStreams = streams.ToHashSet(StringComparer.Ordinal);
        var record = Client(client);
        var deliveries = record.Deliveries;
        var report = new StringBuilder();
        lock (_gate)
        {
            foreach (var stream in expectedStreams.Order(StringComparer.Ordinal))
            {
                var expected = _accepted.Where(id => _attempted[id].Contains(stream, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
                var onStream = deliveries.Where(d => d.Stream == stream).ToList();
                var counts = onStream.GroupBy(d => d.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
                var missing = expected.Where(id => !counts.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
                var duplicates = counts.Where(c => c.Value > 1).Select(c => $"{c.Key} ×{c.Value}").Order(StringComparer.Ordinal).ToList();
                var unexpected = counts.Keys.Where(id => !_attempted.TryGetValue(id, out var to) || !to.Contains(stream, StringComparer.Ordinal)).Order(StringComparer.Ordinal).ToList();
                Problem(report, $"{stream}: {missing.Count} of {expected.Count} accepted notifications missing", missing);
                Problem(report, $"{stream}: {duplicates.Count} notifications handed over more than once", duplicates);
                Problem(report, $"{stream}: {unexpected.Count} notifications that were never published to it", unexpected);
                Problem(report, $"{stream}: offsets not strictly increasing in delivery order", OrderViolations(onStream));
            }
            var elsewhere = deliveries.Where(d => !expectedStreams.Contains(d.Stream)).Select(d => $"{d.Id} on {(d.Stream.Length == 0 ? "(no stream)" : d.Stream)}").ToList();
            Problem(report, $"{elsewhere.Count} notifications on streams the client should not receive", elsewhere);
            Problem(report, "clients disagree on offsets", _conflicts);
        }
        if (!allowRecoveryFailures)
        {
            Problem(report, "recovery failures reported to the app", [.. record.RecoveryFailures.Select(f => $"{f.Stream}: {f.Reason} at {f.Position.Offset}/{f.Position.Epoch}")]);
        }
        return report.Length == 0 ? "" : $"Client {client} ({deliveries.Count} notifications handed over, {record.Reconnects} reconnects):{Environment.NewLine}{report}";
    }

    internal void Observe(string client, Notification notification)
    {
        lock (_gate)
        {
            var key = (notification.Stream, notification.Epoch, notification.Id);
            if (!_offsets.TryAdd(key, notification.Offset) && _offsets[key] != notification.Offset && _conflicts.Count < 20)
            {
                _conflicts.Add($"{notification.Id} on {notification.Stream}: offset {notification.Offset} at {client}, {_offsets[key]} at another client");
            }
        }
    }

    private static List<string> OrderViolations(List<Delivery> onStream)
    {
        var violations = new List<string>();
        for (var i = 1; i < onStream.Count; i++)
        {
            var (previous, current) = (onStream[i - 1], onStream[i]);
            // A new epoch starts again at 1: order is only comparable within one.
            if (previous.Epoch == current.Epoch && current.Offset <= previous.Offset)
            {
                violations.Add($"#{current.Sequence} {current.Id} offset {current.Offset} after #{previous.Sequence} {previous.Id} offset {previous.Offset}");
            }
        }
        return violations;
    }

    private static void Problem(StringBuilder report, string title, IReadOnlyList<string> items)
    {
        if (items.Count == 0)
        {
            return;
        }
        report.Append("  ").Append(title).Append(": ").AppendJoin(", ", items.Take(8));
        report.AppendLine(items.Count > 8 ? $", … ({items.Count - 8} more)" : "");
    }
}

/// <summary>One notification as handed to a client's app.</summary>
/// <param name="Sequence">Its place among everything this client was handed (0, 1, 2…).</param>
public readonly record struct Delivery(long Sequence, string Id, string Stream, long Offset, string Epoch);

/// <summary>What one client's app was handed, in order, and how its connection went.</summary>
public sealed class ClientLedger
{
    private readonly Lock _gate = new();
    private readonly Ledger _ledger;
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<string, HashSet<string>> _idsByStream = new(StringComparer.Ordinal);
    private readonly List<RecoveryFailedEventArgs> _recoveryFailures = [];
    private readonly List<Waiter> _waiters = [];
    private int _reconnects;

    internal ClientLedger(string name, Ledger ledger)
    {
        Name = name;
        _ledger = ledger;
    }

    public string Name { get; }

    public int Reconnects => Volatile.Read(ref _reconnects);

    public IReadOnlyList<Delivery> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    public IReadOnlyList<RecoveryFailedEventArgs> RecoveryFailures
    {
        get
        {
            lock (_gate)
            {
                return [.. _recoveryFailures];
            }
        }
    }

    /// <summary>Records a notification handed to the app (call it from the client's handler).</summary>
    public void Record(Notification notification)
    {
        _ledger.Observe(Name, notification);
        List<Waiter> done = [];
        lock (_gate)
        {
            _deliveries.Add(new Delivery(_deliveries.Count, notification.Id, notification.Stream, notification.Offset, notification.Epoch));
            if (!_idsByStream.TryGetValue(notification.Stream, out var ids))
            {
                _idsByStream[notification.Stream] = ids = new HashSet<string>(StringComparer.Ordinal);
            }
            ids.Add(notification.Id);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Stream == notification.Stream && _waiters[i].Missing.Remove(notification.Id) && _waiters[i].Missing.Count == 0)
                {
                    done.Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var waiter in done)
        {
            waiter.Done.TrySetResult();
        }
    }

    public void RecordRecoveryFailure(RecoveryFailedEventArgs failure)
    {
        List<Waiter> done = [];
        lock (_gate)
        {
            _recoveryFailures.Add(failure);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].RecoveryFailureOn == failure.Stream)
                {
                    done.Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var waiter in done)
        {
            waiter.Done.TrySetResult();
        }
    }

    public void RecordReconnect() => Interlocked.Increment(ref _reconnects);

    /// <summary>Completes once every id in <paramref name="ids"/> was handed over on <paramref name="stream"/>.</summary>
    public Task WaitForAsync(string stream, IEnumerable<string> ids)
    {
        var waiter = new Waiter(stream, ids.ToHashSet(StringComparer.Ordinal), null);
        lock (_gate)
        {
            if (_idsByStream.TryGetValue(stream, out var have))
            {
                waiter.Missing.ExceptWith(have);
            }
            if (waiter.Missing.Count == 0)
            {
                return Task.CompletedTask;
            }
            _waiters.Add(waiter);
        }
        return waiter.Done.Task;
    }

    /// <summary>Completes once the app was told that <paramref name="stream"/> could not be recovered.</summary>
    public Task WaitForRecoveryFailureAsync(string stream)
    {
        var waiter = new Waiter("", [], stream);
        lock (_gate)
        {
            if (_recoveryFailures.Exists(f => f.Stream == stream))
            {
                return Task.CompletedTask;
            }
            _waiters.Add(waiter);
        }
        return waiter.Done.Task;
    }

    private sealed record Waiter(string Stream, HashSet<string> Missing, string? RecoveryFailureOn)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
