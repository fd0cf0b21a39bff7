using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Client.Internal;
using PushService.Protocol;

namespace PushService.Client;

public sealed partial class PushClient
{
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);

    // One hub call that changes the connection's topics at a time — Subscribe, Unsubscribe, the
    // Resume after a (re)connect, and gap fetches (a Resume joins the topic it names) — so the topic
    // set and the server's view cannot be reordered against each other.
    private readonly SemaphoreSlim _subscriptionLock = new(1, 1);
    private int _reconnectGeneration;

    /// <summary>
    /// Occurs when the service refuses a topic the client subscribes to on its own: a topic recorded
    /// before <see cref="StartAsync"/>, or one subscribed again after a reconnect (for example because
    /// the new token no longer allows it). The topic has been removed from <see cref="Topics"/>.
    /// Raised on the delivery loop, in order with notifications (see <see cref="PushClient"/>).
    /// </summary>
    public event Func<PushSubscriptionException, Task>? SubscriptionFailed;

    /// <summary>Gets a snapshot of the topics the client is subscribed to, or will subscribe to when connected.</summary>
    public IReadOnlyCollection<string> Topics
    {
        get
        {
            lock (_topics)
            {
                return [.. _topics];
            }
        }
    }

    /// <summary>
    /// Subscribes to a topic. The client remembers it and subscribes again after every reconnect,
    /// resuming the topic's stream from where the app left off.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// When connected, a task that completes once the service confirmed the subscription; every
    /// notification published to the topic after that point is delivered (and, when the client holds
    /// a position for the topic's stream, for example from <see cref="PushClientOptions.InitialPositions"/>,
    /// the ones after that position too). When not connected (before <see cref="StartAsync"/>, while
    /// reconnecting, or after <see cref="StopAsync"/>), the topic is recorded and the task completes at
    /// once; the subscription is made on the next (re)connect, and a refusal then is reported through
    /// <see cref="SubscriptionFailed"/>.
    /// </returns>
    /// <exception cref="PushSubscriptionException">The service refused the topic; it is not recorded.</exception>
    public async Task SubscribeAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool added;
            lock (_topics)
            {
                added = _topics.Add(topic);
            }
            if (_hub.State != HubConnectionState.Connected)
            {
                return;
            }
            var stream = StreamNames.Topic(topic);
            long request;
            StreamPosition from;
            lock (_streamsLock)
            {
                // Registered before the call, so that live notifications arriving ahead of the answer are buffered (rule 1).
                request = _tracker.BeginRequest();
                from = _tracker.AddToRequest(request, stream);
            }
            string? refusal = null;
            try
            {
                refusal = await SubscribeStreamAsync(topic, stream, request, from, cancellationToken).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                UndoSubscribe(topic, stream, request, added);
                throw PushSubscriptionException.FromHubException(topic, ex);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _hub.State != HubConnectionState.Connected)
            {
                // The connection dropped: the topic stays recorded for the next (re)connect, as if
                // the call had come while disconnected.
                Log.SubscriptionDeferred(_logger, topic, ex);
            }
            catch
            {
                UndoSubscribe(topic, stream, request, added);
                throw;
            }
            if (refusal is not null)
            {
                UndoSubscribe(topic, stream, request, added);
                throw PushSubscriptionException.FromCode(topic, refusal);
            }
        }
        finally
        {
            _subscriptionLock.Release();
        }
    }

    /// <summary>
    /// Unsubscribes from a topic and forgets it, with its stream position. Unsubscribing from a topic
    /// the client is not subscribed to succeeds.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// A task that completes once the service confirmed it, or at once when not connected (a new
    /// connection starts without the topic).
    /// </returns>
    /// <exception cref="PushSubscriptionException">The service refused the request (for example an invalid name).</exception>
    public async Task UnsubscribeAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_topics)
            {
                _topics.Remove(topic);
            }
            if (_hub.State != HubConnectionState.Connected)
            {
                return;
            }
            try
            {
                await _hub.InvokeAsync(HubProtocolNames.Unsubscribe, topic, cancellationToken).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                throw PushSubscriptionException.FromHubException(topic, ex);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _hub.State != HubConnectionState.Connected)
            {
                // The connection dropped, and with it the subscription.
                Log.SubscriptionDeferred(_logger, topic, ex);
            }
        }
        finally
        {
            // After the service's answer: until then the topic's notifications are still delivered.
            // Stragglers after it are dropped, since the tracker no longer knows the stream.
            lock (_streamsLock)
            {
                _tracker.Forget(StreamNames.Topic(topic));
            }
            _subscriptionLock.Release();
        }
    }

    /// <summary>Subscribes the connection to a topic's stream; returns the refusal code of a Resume, if any.</summary>
    private async Task<string?> SubscribeStreamAsync(string topic, string stream, long request, StreamPosition from, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(from.Epoch))
        {
            // No position: start at the stream's current one; everything after it is delivered.
            var position = await _hub.InvokeAsync<StreamPositionMessage>(HubProtocolNames.Subscribe, topic, cancellationToken).ConfigureAwait(false);
            lock (_streamsLock)
            {
                _tracker.Apply(request, stream, recovered: true, position?.Offset ?? 0, position?.Epoch ?? string.Empty, []);
            }
            return null;
        }
        // A position is known (saved by the app, or already subscribed): Resume joins the topic as
        // Subscribe does and also recovers what followed the position.
        var sent = ToMessage(stream, from);
        var result = await _hub.InvokeAsync<ResumeResultMessage>(HubProtocolNames.Resume, new[] { sent }, cancellationToken).ConfigureAwait(false);
        foreach (var (refused, code) in ApplyResume(request, result, [sent]))
        {
            if (refused == stream)
            {
                return code;
            }
        }
        return null;
    }

    /// <summary>Undoes a failed subscription: the topic and its stream if this call added them, else just the request.</summary>
    private void UndoSubscribe(string topic, string stream, long request, bool added)
    {
        if (added)
        {
            lock (_topics)
            {
                _topics.Remove(topic);
            }
        }
        lock (_streamsLock)
        {
            if (added)
            {
                _tracker.Forget(stream);
            }
            else
            {
                _tracker.Abandon(request, stream);
            }
        }
    }
}
