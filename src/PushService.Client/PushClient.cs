using System.Collections.ObjectModel;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PushService.Client.Internal;
using PushService.Protocol;

namespace PushService.Client;

/// <summary>
/// Receives real-time notifications from PushService over a SignalR connection: the user's own
/// notifications, broadcasts, and those of the topics it subscribes to.
/// </summary>
/// <remarks>
/// <para>
/// Create one client per app (or per user), register handlers with <see cref="On(string, Func{Notification, Task})"/>
/// or read with <see cref="ReadAllAsync"/>, call <see cref="StartAsync"/>, and <see cref="DisposeAsync"/> it
/// at the end. The client keeps the set of subscribed topics and subscribes again after every
/// reconnect, because a new connection starts with none.
/// </para>
/// <para>
/// Nothing is lost or duplicated across reconnects: the client keeps its position in each stream
/// (<see cref="Notification.Stream"/>, <see cref="Notification.Offset"/>) and, after every (re)connect,
/// asks the service for what it missed. Each notification of a stream is handed to the app exactly
/// once, in offset order. When missed notifications are gone for good, <see cref="RecoveryFailed"/>
/// says so. Save <see cref="Positions"/> and pass them to <see cref="PushClientOptions.InitialPositions"/>
/// to carry this across restarts of the app.
/// </para>
/// <para>
/// Handlers, readers and the <see cref="RecoveryFailed"/>, <see cref="SubscriptionFailed"/> and
/// <see cref="Reconnected"/> events run one at a time, in order, on one delivery loop that is not
/// the connection's: a slow handler delays the next notification, not the connection, and a handler
/// may call the client's methods.
/// </para>
/// </remarks>
public sealed partial class PushClient : IAsyncDisposable
{
    private const int MaxResumeRetrySeconds = 30;

    private readonly HubConnection _hub;
    private readonly ILogger _logger;
    private readonly int _readBufferCapacity;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="PushClient"/> class. Does no I/O.</summary>
    /// <param name="options">The client options; see <see cref="PushClientOptions"/>.</param>
    /// <exception cref="ArgumentException">An option is missing or invalid.</exception>
    public PushClient(PushClientOptions options)
    {
        var hubUrl = Validate(options);
        _readBufferCapacity = options.ReadBufferCapacity;
        _logger = options.LoggerFactory?.CreateLogger<PushClient>() ?? NullLogger<PushClient>.Instance;
        _hub = BuildConnection(hubUrl, options);
        _tracker = new StreamTracker(StreamTracker.DefaultPendingCapacity, options.InitialPositions, OnTrackerDeliver, OnTrackerMoved, OnTrackerFetch);
        _ = Task.Run(DeliverAllAsync);

        _hub.On<NotificationMessage>(HubProtocolNames.NotificationTarget, OnNotificationAsync);
        _hub.Closed += OnHubClosedAsync;
        _hub.Reconnecting += OnHubReconnectingAsync;
        _hub.Reconnected += OnHubReconnectedAsync;
    }

    /// <summary>
    /// Occurs when the connection has closed for good: after <see cref="StopAsync"/> or
    /// <see cref="DisposeAsync"/> (with <see langword="null"/>), or after an error when automatic
    /// reconnects are off or gave up. <see cref="StartAsync"/> can connect again.
    /// </summary>
    public event Func<Exception?, Task>? Closed;

    /// <summary>Occurs when the connection was lost and the client starts reconnecting, with the error that ended it.</summary>
    public event Func<Exception?, Task>? Reconnecting;

    /// <summary>
    /// Occurs after an automatic reconnect, once the client has resumed its streams and topics on the
    /// new connection and handed the app what it missed meanwhile, with the new connection id.
    /// </summary>
    public event Func<string?, Task>? Reconnected;

    /// <summary>Gets the state of the connection.</summary>
    public PushConnectionState State => _hub.State switch
    {
        HubConnectionState.Connecting => PushConnectionState.Connecting,
        HubConnectionState.Connected => PushConnectionState.Connected,
        HubConnectionState.Reconnecting => PushConnectionState.Reconnecting,
        _ => PushConnectionState.Disconnected,
    };

    /// <summary>Gets the id of the current connection, or <see langword="null"/> when not connected.</summary>
    public string? ConnectionId => _hub.ConnectionId;

    /// <summary>
    /// Connects to the service and resumes: subscribes to the topics recorded by
    /// <see cref="SubscribeAsync"/> calls made while disconnected, and asks for what was missed in
    /// every stream the client holds a position for (from an earlier connection, or from
    /// <see cref="PushClientOptions.InitialPositions"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the start; the client is then disconnected.</param>
    /// <returns>
    /// A task that completes when connected and resumed; the missed notifications are then queued
    /// for the handlers.
    /// </returns>
    /// <remarks>
    /// A topic the service refuses at this point does not fail the start: it is dropped and reported
    /// through <see cref="SubscriptionFailed"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The client is not <see cref="PushConnectionState.Disconnected"/>.</exception>
    /// <exception cref="PushHubException">
    /// The service refused to resume; the client is disconnected. <see cref="PushSubscriptionErrorCodes.Unavailable"/>
    /// means it may succeed after a short wait.
    /// </exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _hub.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // False when the connection dropped meanwhile: the automatic reconnect resumes instead.
            await ResumeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _hub.StopAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Closes the connection. Handlers, readers and the set of subscribed topics are kept, so
    /// <see cref="StartAsync"/> resumes where the client left off.
    /// </summary>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>A task that completes when the connection is closed.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _hub.StopAsync(cancellationToken);
    }

    /// <summary>
    /// Closes the connection and releases the client. Every <see cref="ReadAllAsync"/> enumeration
    /// ends after its buffered notifications; notifications not yet handed to the app are not, and
    /// <see cref="Positions"/> does not include them.
    /// </summary>
    /// <returns>A task that completes when the client is disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            await _hub.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            // The loop stops at its next item; it is not awaited, as DisposeAsync may come from a handler.
            _deliveries.Writer.TryComplete();
            CompleteReaders();
        }
    }

    /// <summary>Checks the options and returns the hub URL.</summary>
    private static Uri Validate(PushClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Url is not { IsAbsoluteUri: true } url || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("PushClientOptions.Url must be an absolute http or https URL.", nameof(options));
        }
        if (options.Transports == 0)
        {
            throw new ArgumentException("PushClientOptions.Transports must allow at least one transport.", nameof(options));
        }
        if (options.ReadBufferCapacity < 1)
        {
            throw new ArgumentException("PushClientOptions.ReadBufferCapacity must be at least 1.", nameof(options));
        }
        foreach (var (stream, position) in options.InitialPositions ?? ReadOnlyDictionary<string, StreamPosition>.Empty)
        {
            if (string.IsNullOrEmpty(stream) || position.Offset < 0 || position.Epoch is null)
            {
                throw new ArgumentException($"PushClientOptions.InitialPositions has an invalid entry '{stream}': a stream name, an offset of at least 0 and an epoch are required.", nameof(options));
            }
        }
        if (!Enum.IsDefined(options.Protocol))
        {
            throw new ArgumentException($"PushClientOptions.Protocol '{options.Protocol}' is not supported.", nameof(options));
        }
        if (options.Protocol == PushProtocol.MessagePack && (options.Transports & ~HttpTransportType.ServerSentEvents) == 0)
        {
            // SignalR's Server-Sent Events transport carries text only; a binary protocol needs another.
            throw new ArgumentException("PushClientOptions.Protocol MessagePack needs WebSockets or long polling in PushClientOptions.Transports: Server-Sent Events carry text only.", nameof(options));
        }
        var builder = new UriBuilder(url);
        builder.Path = builder.Path.TrimEnd('/') + HubProtocolNames.HubPath;
        return builder.Uri;
    }

    private static HubConnection BuildConnection(Uri hubUrl, PushClientOptions options)
    {
        // Copy now: the options object may be changed or reused after the constructor returns.
        var accessTokenProvider = options.AccessTokenProvider;
        var handlerFactory = options.HttpMessageHandlerFactory;
        var builder = new HubConnectionBuilder().WithUrl(hubUrl, options.Transports, http =>
        {
            http.AccessTokenProvider = accessTokenProvider;
            if (handlerFactory is not null)
            {
                http.HttpMessageHandlerFactory = handlerFactory;
            }
        });
        if (options.Protocol == PushProtocol.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }
        if (options.ReconnectPolicy is { } policy)
        {
            builder.WithAutomaticReconnect(policy);
        }
        if (options.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }
        options.ConfigureConnection?.Invoke(builder);
        return builder.Build();
    }

    private Task OnHubClosedAsync(Exception? exception) => RaiseAsync(Closed, exception, nameof(Closed));

    private Task OnHubReconnectingAsync(Exception? exception) => RaiseAsync(Reconnecting, exception, nameof(Reconnecting));

    private async Task OnHubReconnectedAsync(string? connectionId)
    {
        // The new connection is in no topic yet and missed what was published meanwhile: resume
        // before telling the app, so that "Reconnected" means "caught up and receiving everything".
        var generation = Interlocked.Increment(ref _reconnectGeneration);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!await ResumeAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    return;
                }
                break;
            }
            catch (PushHubException ex) when (ex.Code == PushSubscriptionErrorCodes.Unavailable && generation == Volatile.Read(ref _reconnectGeneration))
            {
                // The service's store is briefly unreadable: retry on this connection (ResumeAsync
                // returns false once it is gone).
                var delay = TimeSpan.FromSeconds(Math.Min(MaxResumeRetrySeconds, 1 << Math.Min(attempt, 5)));
                Log.ResumeRetrying(_logger, delay.TotalSeconds, ex);
                await Task.Delay(delay).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Without a Resume nothing would be delivered (every stream waits for its answer):
                // close, so that the app sees Closed rather than a silent connection.
                Log.ResumeFailed(_logger, ex);
                await _hub.StopAsync(CancellationToken.None).ConfigureAwait(false);
                return;
            }
        }

        // If the connection dropped (or reconnected once more) meanwhile, this event is stale: the
        // next Reconnected, raised after its own Resume, speaks for the current connection. Queued
        // behind the recovered notifications.
        if (generation == Volatile.Read(ref _reconnectGeneration) && _hub.State == HubConnectionState.Connected)
        {
            Enqueue(new ReconnectedDelivery(connectionId));
        }
    }

    // Every subscriber of an event runs, in order, even if an earlier one throws; a multicast
    // Invoke would await only the last one's task.
    private async Task RaiseAsync<T>(Func<T, Task>? handlers, T argument, string eventName)
    {
        if (handlers is null)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                await ((Func<T, Task>)handler)(argument).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.EventHandlerFailed(_logger, eventName, ex);
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
