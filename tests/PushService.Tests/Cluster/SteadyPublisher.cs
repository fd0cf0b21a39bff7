using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PushService.Tests.Cluster;

/// <summary>One notification a test publishes, with its own id (so a retry can repeat it).</summary>
public sealed record PublishItem(string Id, string[] Users, string[] Topics, bool Broadcast = false, string Type = "cluster.test")
{
    public IEnumerable<string> Streams =>
        [.. Users.Select(u => $"user:{u}"), .. Topics.Select(t => $"topic:{t}"), .. (string[])(Broadcast ? ["broadcast"] : [])];

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["id"] = Id, ["type"] = Type, ["data"] = new JsonObject { ["id"] = Id } };
        if (Users.Length > 0)
        {
            json["users"] = new JsonArray([.. Users.Select(u => (JsonNode)u)]);
        }
        if (Topics.Length > 0)
        {
            json["topics"] = new JsonArray([.. Topics.Select(t => (JsonNode)t)]);
        }
        if (Broadcast)
        {
            json["broadcast"] = true;
        }
        return json;
    }
}

/// <summary>One request a publisher made, and how it ended.</summary>
/// <param name="Status">The HTTP status, or 0 when the connection failed or timed out.</param>
public sealed record PublishAttempt(string Node, int Items, long StartedTicks, long FinishedTicks, int Status, string? Error);

/// <summary>
/// A publisher backend under test: an open loop that sends its items at a steady rate over the
/// REST API (batches or single publishes), paced by a <see cref="PeriodicTimer"/>, each request
/// not waiting for the previous one. It follows the documented contract: its own ids, and a 503
/// or a failed connection is retried with the same ids (after Retry-After; on the next node when
/// the connection failed). A publish counts as accepted only once answered 202.
/// </summary>
/// <remarks>
/// Bounded in count (its items) and in time (<see cref="PublisherOptions.TimeLimit"/>): it stops
/// by itself when everything was accepted or the time is up, whichever comes first.
/// </remarks>
public sealed class SteadyPublisher : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(20);

    // After a failed connection, at least 200 ms before the same ids go out again (to the next node).
    private const long ConnectionRetryTicks = 10;

    private readonly string _name;
    private readonly Ledger _ledger;
    private readonly IReadOnlyList<ServiceProcess> _nodes;
    private readonly IReadOnlyList<PublishItem> _items;
    private readonly PublisherOptions _options;
    private readonly HttpClient[] _http;
    private readonly Lock _gate = new();
    private readonly List<(PublishItem[] Batch, int Node, long DueTick)> _retries = [];
    private readonly List<PublishAttempt> _attempts = [];
    private readonly List<string> _errors = [];
    private readonly Dictionary<string, List<(DateTimeOffset CreatedAt, bool? Replayed)>> _answers = new(StringComparer.Ordinal);
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private readonly Dictionary<PublishItem[], int> _connectionFailures = new(ReferenceEqualityComparer.Instance);
    private int _node;
    private long _tick;
    private long _elapsedTicks;
    private int _accepted;
    private int _unavailable;
    private int _connectionErrors;

    public SteadyPublisher(string name, Ledger ledger, IReadOnlyList<ServiceProcess> nodes, IReadOnlyList<PublishItem> items, PublisherOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodes.Count);
        _name = name;
        _ledger = ledger;
        _nodes = nodes;
        _items = items;
        _options = options;
        _http = [.. nodes.Select(n => n.CreatePublisherClient(options.RequestTimeout))];
    }

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>503 answers received (each retried).</summary>
    public int Unavailable => Volatile.Read(ref _unavailable);

    /// <summary>Requests whose connection failed or timed out (each retried on the next node).</summary>
    public int ConnectionErrors => Volatile.Read(ref _connectionErrors);

    public long Ticks => Interlocked.Read(ref _tick);

    public IReadOnlyList<PublishAttempt> Attempts
    {
        get
        {
            lock (_gate)
            {
                return [.. _attempts];
            }
        }
    }

    /// <summary>Every 202 answer per id: (createdAt, Idempotent-Replayed or null in a batch).</summary>
    public IReadOnlyDictionary<string, List<(DateTimeOffset CreatedAt, bool? Replayed)>> Answers
    {
        get
        {
            lock (_gate)
            {
                return _answers.ToDictionary(a => a.Key, a => a.Value.ToList(), StringComparer.Ordinal);
            }
        }
    }

    public string Summary => $"{_name}: {Accepted} of {_items.Count} accepted, {Unavailable} × 503, {ConnectionErrors} connection errors, {Ticks} ticks";

    /// <summary>Completes once at least <paramref name="count"/> items were accepted.</summary>
    public Task AcceptedAtLeastAsync(int count) => WhenAsync(() => Accepted >= count);

    /// <summary>
    /// Completes once the publisher has run <paramref name="span"/> longer, by its own clock (read
    /// on each of its 20 ms ticks): "publishing into a fault for three seconds".
    /// </summary>
    public Task RunningForAsync(TimeSpan span)
    {
        var target = Interlocked.Read(ref _elapsedTicks) + span.Ticks;
        return WhenAsync(() => Interlocked.Read(ref _elapsedTicks) >= target);
    }

    /// <summary>Completes once a 503 was answered.</summary>
    public Task UnavailableAsync() => WhenAsync(() => Unavailable > 0);

    /// <summary>Runs the loop until every item was accepted or the time limit passed.</summary>
    public async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>();
        var next = 0;
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync())
        {
            var tick = Interlocked.Increment(ref _tick);
            Interlocked.Exchange(ref _elapsedTicks, clock.Elapsed.Ticks);
            Signal();
            inFlight.RemoveAll(t => t.IsCompleted);
            if (clock.Elapsed > _options.TimeLimit)
            {
                break;
            }
            List<(PublishItem[] Batch, int Node)> due;
            lock (_gate)
            {
                // Retries first, within the same bound on requests in flight.
                var ready = _retries.Where(r => r.DueTick <= tick).Take(Math.Max(0, _options.MaxInFlight - inFlight.Count)).ToList();
                due = [.. ready.Select(r => (r.Batch, r.Node))];
                foreach (var retry in ready)
                {
                    _retries.Remove(retry);
                }
            }
            foreach (var (batch, node) in due)
            {
                inFlight.Add(SendAsync(batch, node));
            }
            // Open loop: what is due by the clock is sent now, whatever is still in flight (up to a
            // bound, past which the backlog waits for the next tick).
            var dueByNow = Math.Min(_items.Count, (int)(clock.Elapsed.TotalSeconds * _options.RatePerSecond) + 1);
            while (next < dueByNow && inFlight.Count < _options.MaxInFlight)
            {
                var batch = _items.Skip(next).Take(Math.Min(_options.BatchSize, dueByNow - next)).ToArray();
                next += batch.Length;
                foreach (var item in batch)
                {
                    _ledger.Attempted(item.Id, item.Streams);
                }
                var node = Volatile.Read(ref _node);
                inFlight.Add(SendAsync(batch, node));
                if (_options.SendTwice)
                {
                    inFlight.Add(SendAsync(batch, node + 1));
                }
            }
            bool idle;
            lock (_gate)
            {
                idle = next == _items.Count && _retries.Count == 0 && inFlight.TrueForAll(t => t.IsCompleted);
            }
            if (idle)
            {
                break;
            }
        }
        await Task.WhenAll(inFlight).WaitAsync(_options.RequestTimeout + TimeSpan.FromSeconds(5));
        Signal();
    }

    /// <summary>Fails unless every item was accepted and nothing was answered other than 202, 503 or a failed connection.</summary>
    public void AssertAllAccepted()
    {
        List<string> errors;
        List<string> notAccepted;
        lock (_gate)
        {
            errors = [.. _errors];
            notAccepted = [.. _items.Where(i => !_answers.ContainsKey(i.Id)).Select(i => i.Id).Take(8)];
        }
        if (errors.Count > 0 || notAccepted.Count > 0)
        {
            throw new Xunit.Sdk.XunitException(
                $"{Summary}.{Environment.NewLine}Not accepted: {string.Join(", ", notAccepted)}{Environment.NewLine}Errors: {string.Join(Environment.NewLine, errors.Take(8))}");
        }
    }

    public void Dispose()
    {
        foreach (var http in _http)
        {
            http.Dispose();
        }
    }

    private async Task SendAsync(PublishItem[] batch, int node)
    {
        // Let the timer loop go on at once: the request runs on the thread pool.
        await Task.Yield();
        var index = node % _nodes.Count;
        var started = Stopwatch.GetTimestamp();
        int status = 0;
        string? error = null;
        try
        {
            var batched = _options.BatchSize > 1;
            JsonNode body = batched ? new JsonArray([.. batch.Select(i => (JsonNode)i.ToJson())]) : batch[0].ToJson();
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await _http[index].PostAsync(batched ? "/api/v1/notifications/batch" : "/api/v1/notifications", content);
            status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                var replayed = batched ? (bool?)null : response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
                OnAccepted(batch, text, batched, replayed);
            }
            else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Interlocked.Increment(ref _unavailable);
                Retry(batch, index, RetryAfterTicks(response.Headers.RetryAfter));
            }
            else
            {
                error = $"{(int)response.StatusCode} from {_nodes[index].NodeId}: {text}";
                lock (_gate)
                {
                    _errors.Add(error);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            // The node is gone or did not answer in time: the same ids go to the next node.
            error = ex.GetType().Name + ": " + ex.Message;
            Interlocked.Increment(ref _connectionErrors);
            var failover = index + 1;
            Interlocked.CompareExchange(ref _node, failover, node);
            int failures;
            lock (_gate)
            {
                failures = _connectionFailures[batch] = _connectionFailures.GetValueOrDefault(batch) + 1;
            }
            // 0.2, 0.4, 0.8, 1.6, then every 2 s: a dead node is not hammered while the time runs out.
            Retry(batch, failover, Math.Min(ConnectionRetryTicks << Math.Min(failures - 1, 4), 100));
        }
        finally
        {
            lock (_gate)
            {
                _attempts.Add(new PublishAttempt(_nodes[index].NodeId, batch.Length, started, Stopwatch.GetTimestamp(), status, error));
            }
            Signal();
        }
    }

    private void OnAccepted(PublishItem[] batch, string text, bool batched, bool? replayed)
    {
        using var json = JsonDocument.Parse(text);
        var results = batched ? [.. json.RootElement.GetProperty("items").EnumerateArray()] : new[] { json.RootElement };
        lock (_gate)
        {
            if (results.Length != batch.Length)
            {
                _errors.Add($"202 with {results.Length} results for {batch.Length} items: {text}");
                return;
            }
            for (var i = 0; i < batch.Length; i++)
            {
                var id = results[i].GetProperty("id").GetString();
                if (id != batch[i].Id)
                {
                    _errors.Add($"202 for '{batch[i].Id}' answered with id '{id}'");
                    continue;
                }
                var createdAt = results[i].GetProperty("createdAt").GetDateTimeOffset();
                if (!_answers.TryGetValue(id, out var answers))
                {
                    _answers[id] = answers = [];
                    _accepted++;
                }
                answers.Add((createdAt, replayed));
                _ledger.Accepted(id);
            }
        }
    }

    private void Retry(PublishItem[] batch, int node, long afterTicks)
    {
        lock (_gate)
        {
            _retries.Add((batch, node, Ticks + afterTicks));
        }
    }

    private static long RetryAfterTicks(RetryConditionHeaderValue? retryAfter)
        => retryAfter?.Delta is { } delta ? Math.Max(1, (long)(delta / Period)) : 1;

    private Task WhenAsync(Func<bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }
            _waiters.Add((condition, done));
        }
        return done.Task;
    }

    private void Signal()
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition())
                {
                    done.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }
        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
    }
}

/// <summary>How a <see cref="SteadyPublisher"/> sends.</summary>
public sealed record PublisherOptions
{
    /// <summary>Items per second, on average.</summary>
    public required int RatePerSecond { get; init; }

    /// <summary>Items per request: 1 publishes singly (POST /api/v1/notifications), more uses the batch endpoint.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>The loop stops after this, accepted or not.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int MaxInFlight { get; init; } = 64;

    /// <summary>Sends every request to two nodes at once (the current one and the next).</summary>
    public bool SendTwice { get; init; }
}
