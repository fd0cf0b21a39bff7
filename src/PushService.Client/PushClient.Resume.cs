using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Client.Internal;
using PushService.Protocol;

namespace PushService.Client;

public sealed partial class PushClient
{
    // Guards _tracker. Held only for short synchronous steps, never across an await or a handler:
    // the receive path takes it for every notification.
    private readonly Lock _streamsLock = new();
    private readonly StreamTracker _tracker;

    /// <summary>
    /// Resumes every stream on the current connection (rule 6): one <c>Resume</c> with all positions
    /// — the user stream, <c>broadcast</c> and every recorded topic, which it joins — and the answers
    /// applied. A refused topic is dropped and reported through <see cref="SubscriptionFailed"/>.
    /// </summary>
    /// <returns><see langword="false"/> when the connection went away meanwhile; the next one resumes.</returns>
    /// <exception cref="PushHubException">The service refused the call as a whole.</exception>
    private async Task<bool> ResumeAsync(CancellationToken cancellationToken)
    {
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_hub.State != HubConnectionState.Connected)
            {
                return false;
            }
            string[] topics;
            lock (_topics)
            {
                topics = [.. _topics];
            }
            long request;
            var positions = new List<StreamPositionMessage>(topics.Length + 2);
            lock (_streamsLock)
            {
                _tracker.NewConnection();
                request = _tracker.BeginRequest();
                if (_tracker.UserStream is { } userStream)
                {
                    positions.Add(ToMessage(userStream, _tracker.AddToRequest(request, userStream)));
                }
                positions.Add(ToMessage(StreamNames.Broadcast, _tracker.AddToRequest(request, StreamNames.Broadcast)));
                foreach (var topic in topics)
                {
                    var stream = StreamNames.Topic(topic);
                    positions.Add(ToMessage(stream, _tracker.AddToRequest(request, stream)));
                }
            }

            ResumeResultMessage result;
            try
            {
                result = await _hub.InvokeAsync<ResumeResultMessage>(HubProtocolNames.Resume, positions.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                throw PushHubException.ForMethod(HubProtocolNames.Resume, ex);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _hub.State != HubConnectionState.Connected)
            {
                Log.ResumeDeferred(_logger, ex);
                return false;
            }

            foreach (var (stream, code) in ApplyResume(request, result, positions))
            {
                if (!StreamNames.TryGetTopic(stream, out var topic))
                {
                    Log.StreamRefused(_logger, stream, code);
                    continue;
                }
                lock (_topics)
                {
                    _topics.Remove(topic);
                }
                lock (_streamsLock)
                {
                    _tracker.Forget(stream);
                }
                var error = PushSubscriptionException.FromCode(topic, code);
                Log.SubscriptionRefused(_logger, topic, error.Code, error);
                Enqueue(new SubscriptionFailedDelivery(error));
            }
            return true;
        }
        finally
        {
            _subscriptionLock.Release();
        }
    }

    /// <summary>
    /// Fills a gap (rule 4) with a single-position <c>Resume</c>. Serialised with subscription changes
    /// because Resume joins a topic: it must not overtake an Unsubscribe of the same topic. If the
    /// connection drops meanwhile, the next connection's Resume covers the gap.
    /// </summary>
    private async Task FetchGapAsync(string stream, long request, StreamPosition from)
    {
        // A failed fetch is retried while this connection lasts: on a quiet stream no later
        // notification would come to retry it, and what is buffered would wait for a reconnect.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await FetchGapOnceAsync(stream, request, from).ConfigureAwait(false);
                return;
            }
            catch (Exception ex)
            {
                Log.GapFetchFailed(_logger, stream, ex);
            }
            if (_hub.State != HubConnectionState.Connected || Volatile.Read(ref _disposed) != 0)
            {
                break; // The next connection's Resume covers the gap.
            }
            await Task.Delay(GapRetryDelay(attempt)).ConfigureAwait(false);
            lock (_streamsLock)
            {
                if (!_tracker.IsCurrent(request, stream))
                {
                    return; // Superseded meanwhile.
                }
            }
        }
        lock (_streamsLock)
        {
            _tracker.Abandon(request, stream);
        }
    }

    private static TimeSpan GapRetryDelay(int attempt)
        => TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * (1 << Math.Min(attempt, 7))) * (0.8 + (0.4 * Random.Shared.NextDouble())));

    private async Task FetchGapOnceAsync(string stream, long request, StreamPosition from)
    {
        await _subscriptionLock.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_streamsLock)
            {
                if (!_tracker.IsCurrent(request, stream))
                {
                    return; // Superseded: a reconnect, an epoch change, or an unsubscribe.
                }
            }
            var position = ToMessage(stream, from);
            var result = await _hub.InvokeAsync<ResumeResultMessage>(HubProtocolNames.Resume, new[] { position }).ConfigureAwait(false);
            foreach (var (refused, code) in ApplyResume(request, result, [position]))
            {
                Log.StreamRefused(_logger, refused, code);
            }
        }
        finally
        {
            _subscriptionLock.Release();
        }
    }

    /// <summary>
    /// Applies a <c>Resume</c> answer. Refused streams are not applied (their request is abandoned)
    /// but returned, for the caller to decide what a refusal means.
    /// </summary>
    private List<(string Stream, string Code)> ApplyResume(long request, ResumeResultMessage? result, IReadOnlyList<StreamPositionMessage> sent)
    {
        List<(string Stream, string Code)> refused = [];
        lock (_streamsLock)
        {
            if (!string.IsNullOrEmpty(result?.User))
            {
                _tracker.SetUser(result.User);
            }
            foreach (var entry in result?.Streams ?? [])
            {
                if (entry?.Stream is not { Length: > 0 } stream)
                {
                    continue;
                }
                if (entry.Error is { } code)
                {
                    _tracker.Abandon(request, stream);
                    refused.Add((stream, code));
                    continue;
                }
                var epoch = entry.Epoch ?? string.Empty;
                _tracker.Apply(request, stream, entry.Recovered, entry.Offset, epoch, NotificationMapper.ToNotifications(entry.Notifications, stream, epoch));
            }
            // Asked about but not answered: it stays waiting (buffering, bounded) until the next connection asks again.
            foreach (var position in sent)
            {
                if (_tracker.IsCurrent(request, position.Stream))
                {
                    Log.StreamNotAnswered(_logger, position.Stream);
                    _tracker.Abandon(request, position.Stream);
                }
            }
        }
        return refused;
    }

    private static StreamPositionMessage ToMessage(string stream, StreamPosition position)
        => new() { Stream = stream, Offset = position.Offset, Epoch = position.Epoch ?? string.Empty };
}
