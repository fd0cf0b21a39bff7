using PushService.Delivery;
using PushService.Diagnostics;
using PushService.Fanout;
using PushService.History;
using PushService.Lifecycle;
using PushService.Protocol;

namespace PushService.Publishing;

/// <summary>
/// The one publish path, whatever the transport that asked. It stores each notification in every
/// stream it addresses (one per user, per topic, or broadcast) and only then pushes it, so an
/// accepted notification can always be replayed. Each push is serialised once per hub protocol
/// and, with Redis configured, is one PUBLISH that every node concerned fans out to its connections.
/// </summary>
/// <remarks>
/// Appends are issued in request order without waiting in between: the store keeps the order of
/// appends to one stream, so a batch's notifications get offsets in batch order. Pushes of one
/// stream may still overtake each other across nodes; clients put them back in offset order.
/// </remarks>
internal sealed class Publisher(
    IHistoryStore history,
    IFanoutBus fanout,
    DrainState drain,
    PushMetrics metrics,
    TimeProvider time,
    ILogger<Publisher> logger)
{
    public async Task<PublishResult> PublishAsync(Notification notification, CancellationToken cancellationToken = default)
        => (await PublishBatchAsync([notification], cancellationToken).ConfigureAwait(false))[0];

    /// <summary>Stores then pushes; the results come back in request order.</summary>
    /// <exception cref="StoreUnavailableException">Some notification could not be stored: none may be reported accepted.</exception>
    public async Task<IReadOnlyList<PublishResult>> PublishBatchAsync(IReadOnlyList<Notification> notifications, CancellationToken cancellationToken = default)
    {
        // A draining node waits for this publish before it exits.
        using var inFlight = drain.TrackPublish();
        var started = time.GetTimestamp();
        var now = time.GetUtcNow().UtcDateTime;
        var appends = new List<(int Item, Target Target, Task<AppendResult> Append)>();
        var entries = new HistoryEntry[notifications.Count];
        for (var i = 0; i < notifications.Count; i++)
        {
            var notification = notifications[i];
            entries[i] = new HistoryEntry(notification.Id ?? SortableId.Next(), notification.Type, notification.Data, now);
            foreach (var target in Targets(notification))
            {
                // Once started, a store is not cancelled with the request: a half-cancelled
                // publish would leave the publisher unsure what was accepted.
                // With Redis the append script publishes the live message too: one round trip.
                var push = fanout.PushOnAppend(Message(entries[i], target, Unplaced));
                appends.Add((i, target, history.AppendAsync(target.Stream, entries[i], push, CancellationToken.None)));
            }
        }
        try
        {
            await Task.WhenAll(appends.Select(a => a.Append)).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            // The store counted its Redis errors (push.redis.errors, operation "append").
            PublishingLog.StoreUnavailable(logger, ex);
            metrics.Published("unavailable", notifications.Count);
            throw;
        }
        finally
        {
            // Whatever was stored is pushed, even when another append failed: it is in the
            // stream and clients would fetch it later anyway.
            await PushStoredAsync(appends, entries).ConfigureAwait(false);
        }
        var results = Results(notifications.Count, appends, entries);
        var replayed = results.Count(r => r.Replayed);
        metrics.Published("accepted", results.Length - replayed);
        if (replayed > 0)
        {
            metrics.Published("replayed", replayed);
        }
        metrics.PublishTook(time.GetElapsedTime(started));
        return results;
    }

    private static PublishResult[] Results(int count, List<(int Item, Target Target, Task<AppendResult> Append)> appends, HistoryEntry[] entries)
    {
        var results = new PublishResult[count];
        foreach (var (item, _, append) in appends)
        {
            var stored = append.Result;
            if (results[item] is null)
            {
                // A retry answers with the original time, taken from the first stream.
                results[item] = new PublishResult(entries[item].Id, stored.CreatedAt, stored.Duplicate);
            }
            else if (!stored.Duplicate)
            {
                results[item] = results[item] with { Replayed = false };
            }
        }
        return results;
    }

    private async Task PushStoredAsync(List<(int Item, Target Target, Task<AppendResult> Append)> appends, HistoryEntry[] entries)
    {
        var sends = new List<Task>(appends.Count);
        var pushed = 0;
        foreach (var (item, target, append) in appends)
        {
            // A replayed publish is pushed again at its stored position: its first push may have
            // been lost (a 503 after a late store, or a crash between store and push). Clients
            // drop the repeat by its offset. The Redis store has pushed already, in the append.
            if (append.IsCompletedSuccessfully)
            {
                pushed++;
                var stored = append.Result;
                if (!stored.Pushed)
                {
                    sends.Add(fanout.PublishAsync(Message(entries[item] with { CreatedAt = stored.CreatedAt }, target, stored.Position)));
                }
            }
        }
        metrics.Pushed(pushed);
        try
        {
            await Task.WhenAll(sends).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Stored but not pushed: subscribers get it from the stream on their next gap or resume.
            PublishingLog.PushFailed(logger, ex);
            metrics.RedisError("publish", sends.Count(s => s.IsFaulted));
        }
    }

    // The live message before the store has placed it: the store's publish adds the position.
    private static readonly StreamPosition Unplaced = new(0, "");

    internal static NotificationMessage Message(HistoryEntry entry, Target target, StreamPosition position) => new()
    {
        Id = entry.Id,
        Type = entry.Type,
        Data = entry.Data,
        CreatedAt = entry.CreatedAt,
        User = target.User,
        Topic = target.Topic,
        Broadcast = target.IsBroadcast ? true : null,
        Stream = target.Stream,
        Offset = position.Offset,
        Epoch = position.Epoch,
    };

    private static IEnumerable<Target> Targets(Notification notification)
    {
        foreach (var user in notification.Users)
        {
            yield return Target.ForUser(user);
        }
        foreach (var topic in notification.Topics)
        {
            yield return Target.ForTopic(topic);
        }
        if (notification.Broadcast)
        {
            yield return Target.Everyone;
        }
    }
}

/// <summary>What a publisher learns: the id, the stored time, and whether it had been accepted before.</summary>
internal sealed record PublishResult(string Id, DateTime CreatedAt, bool Replayed);
