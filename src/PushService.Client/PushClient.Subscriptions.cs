using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;

namespace PushService.Client;

public sealed partial class PushClient
{
    private readonly HashSet<string> _topics = new(StringComparer.Ordinal);

    // One subscription change at a time (user calls and re-subscribes after a reconnect alike), so
    // the topic set and the server's view cannot be reordered against each other.
    private readonly SemaphoreSlim _subscriptionLock = new(1, 1);
    private int _reconnectGeneration;

    /// <summary>
    /// Occurs when the service refuses a topic the client subscribes to on its own: a topic recorded
    /// before <see cref="StartAsync"/>, or one subscribed again after a reconnect (for example because
    /// the new token no longer allows it). The topic has been removed from <see cref="Topics"/>.
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
    /// Subscribes to a topic. The client remembers it and subscribes again after every reconnect.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>
    /// When connected, a task that completes once the service confirmed the subscription. When not
    /// connected (before <see cref="StartAsync"/>, while reconnecting, or after <see cref="StopAsync"/>),
    /// the topic is recorded and the task completes at once; the subscription is made on the next
    /// (re)connect, and a refusal then is reported through <see cref="SubscriptionFailed"/>.
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
            try
            {
                await _hub.InvokeAsync(HubProtocolNames.Subscribe, topic, cancellationToken).ConfigureAwait(false);
            }
            catch (HubException ex)
            {
                ForgetIfAdded(topic, added);
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
                ForgetIfAdded(topic, added);
                throw;
            }
        }
        finally
        {
            _subscriptionLock.Release();
        }
    }

    /// <summary>
    /// Unsubscribes from a topic and forgets it. Unsubscribing from a topic the client is not
    /// subscribed to succeeds.
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
            _subscriptionLock.Release();
        }
    }

    private void ForgetIfAdded(string topic, bool added)
    {
        if (added)
        {
            lock (_topics)
            {
                _topics.Remove(topic);
            }
        }
    }

    /// <summary>
    /// Subscribes the current connection to every recorded topic. A refused topic is dropped and
    /// reported; any other failure means the connection is going away, and the topics stay recorded
    /// for the next connection.
    /// </summary>
    private async Task ApplySubscriptionsAsync(CancellationToken cancellationToken)
    {
        List<PushSubscriptionException>? refused = null;
        await _subscriptionLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string[] topics;
            lock (_topics)
            {
                topics = [.. _topics];
            }
            if (topics.Length == 0 || _hub.State != HubConnectionState.Connected)
            {
                return;
            }

            // Concurrently: up to 100 topics should not cost 100 round trips before "Reconnected".
            var invocations = new Task[topics.Length];
            for (var i = 0; i < topics.Length; i++)
            {
                invocations[i] = _hub.InvokeAsync(HubProtocolNames.Subscribe, topics[i], cancellationToken);
            }
            try
            {
                await Task.WhenAll(invocations).ConfigureAwait(false);
            }
            catch
            {
                // Inspected one by one below.
            }

            for (var i = 0; i < topics.Length; i++)
            {
                var exception = invocations[i].Exception?.InnerException;
                if (exception is HubException hubException)
                {
                    lock (_topics)
                    {
                        _topics.Remove(topics[i]);
                    }
                    var error = PushSubscriptionException.FromHubException(topics[i], hubException);
                    Log.SubscriptionRefused(_logger, topics[i], error.Code, error);
                    (refused ??= []).Add(error);
                }
                else if (exception is not null)
                {
                    Log.SubscriptionDeferred(_logger, topics[i], exception);
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            _subscriptionLock.Release();
        }

        // Outside the lock: a handler may well call SubscribeAsync.
        foreach (var error in refused ?? [])
        {
            await RaiseAsync(SubscriptionFailed, error, nameof(SubscriptionFailed)).ConfigureAwait(false);
        }
    }
}
