using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using PushService.Diagnostics;
using PushService.Protocol;

namespace PushService.Fanout;

/// <summary>
/// Writes notifications to this node's connections: each user's, each topic's and broadcasts.
/// Whatever has arrived
/// since its last pass is taken as one batch, and each connection gets all of the batch's
/// messages for it back to back: they then leave in one socket send instead of one send each,
/// which is most of the cost of a delivery (BENCHMARKS.md: a bare SignalR broadcast costs 15 µs
/// per delivery one message at a time, 2–4 µs when messages queue up per connection). Under
/// light load a batch is one message and nothing waits; the heavier the load, the larger the
/// batches. The order of one stream's messages is kept for every connection.
/// </summary>
internal sealed class FanoutDispatcher : BackgroundService
{
    private const int MaxBatch = 256;

    private readonly Channel<NotificationMessage> _queue = Channel.CreateUnbounded<NotificationMessage>(new() { SingleReader = true });
    private readonly LocalAudience _audience;
    private readonly PushMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<FanoutDispatcher> _logger;

    public FanoutDispatcher(LocalAudience audience, PushMetrics metrics, TimeProvider time, ILogger<FanoutDispatcher> logger)
    {
        _audience = audience;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Queues a notification for this node's connections; never waits.</summary>
    public void Enqueue(NotificationMessage message) => _queue.Writer.TryWrite(message);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<NotificationMessage>(MaxBatch);
        var groups = new List<Audience>();
        var pending = new List<Task>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }
                Group(batch, groups);
                long written = 0;
                foreach (var group in groups)
                {
                    group.Written = Write(group, pending);
                    written += group.Written;
                }
                // Every notification a connection gets is written here: the one place to count them.
                _metrics.Delivered(written);
                RecordLatency(groups);
                if (pending.Count > 0)
                {
                    await WhenWrittenAsync(pending).ConfigureAwait(false);
                }
                batch.Clear();
                groups.Clear();
                pending.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: connections are closing too.
        }
    }

    /// <summary>
    /// A write waits only for the connection's own lock or for a send buffer that the slow-consumer
    /// guard is about to cut off: short, and awaited once per batch, not per connection and message.
    /// </summary>
    private async Task WhenWrittenAsync(List<Task> pending)
    {
        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FanoutLog.WriteFailed(_logger, "a connection", ex);
        }
    }

    /// <summary>
    /// Publish to send, once per notification this pass wrote to at least one connection: one clock
    /// reading per pass and no tags, so the fan-out path allocates nothing for it.
    /// </summary>
    private void RecordLatency(List<Audience> groups)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var group in groups)
        {
            if (group.Written > 0)
            {
                foreach (var (_, createdAt) in group.Messages)
                {
                    _metrics.DeliveryLatency(now - createdAt);
                }
            }
        }
    }

    /// <summary>Splits the batch by stream, keeping each stream's messages in arrival order.</summary>
    private static void Group(List<NotificationMessage> batch, List<Audience> groups)
    {
        foreach (var message in batch)
        {
            var group = groups.Find(g => string.Equals(g.Stream, message.Stream, StringComparison.Ordinal));
            if (group is null)
            {
                group = new Audience(message.Stream, message.User, message.Topic);
                groups.Add(group);
            }
            group.Messages.Add((new SerializedHubMessage(new InvocationMessage(HubProtocolNames.NotificationTarget, [message])), message.CreatedAt));
        }
    }

    /// <summary>Writes the group's messages to each of its connections here; answers how many writes.</summary>
    private long Write(Audience group, List<Task> pending)
    {
        long written = 0;
        try
        {
            foreach (var connection in _audience.Of(group.User, group.Topic))
            {
                foreach (var (message, _) in group.Messages)
                {
                    var write = connection.WriteAsync(message);
                    if (!write.IsCompletedSuccessfully)
                    {
                        pending.Add(write.AsTask());
                    }
                    written++;
                }
            }
        }
        catch (Exception ex)
        {
            // The loop must outlive any one batch: its messages are in history, and clients fetch
            // what they miss when they see the next offset.
            FanoutLog.WriteFailed(_logger, group.Stream, ex);
        }
        return written;
    }

    /// <summary>One stream — a user, a topic, or broadcast when both are null — and its messages in this batch.</summary>
    private sealed record Audience(string Stream, string? User, string? Topic)
    {
        /// <summary>The messages as sent, each with its acceptance time (createdAt) for the latency.</summary>
        public List<(SerializedHubMessage Message, DateTime CreatedAt)> Messages { get; } = [];

        /// <summary>Writes this pass made of the group's messages.</summary>
        public long Written { get; set; }
    }
}
