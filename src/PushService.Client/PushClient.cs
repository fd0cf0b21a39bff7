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
/// Handlers run one at a time, in the order notifications arrive. A slow handler delays the next
/// notification (not the connection): move long work elsewhere or use <see cref="ReadAllAsync"/>.
/// </para>
/// </remarks>
public sealed partial class PushClient : IAsyncDisposable
{
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
    /// Occurs after an automatic reconnect, once the client has subscribed to its topics again,
    /// with the new connection id.
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
    /// Connects to the service, then subscribes to the topics recorded by
    /// <see cref="SubscribeAsync"/> calls made while disconnected.
    /// </summary>
    /// <param name="cancellationToken">Cancels the start; the client is then disconnected.</param>
    /// <returns>A task that completes when connected and subscribed.</returns>
    /// <remarks>
    /// A topic the service refuses at this point does not fail the start: it is dropped and reported
    /// through <see cref="SubscriptionFailed"/>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The client is not <see cref="PushConnectionState.Disconnected"/>.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        await _hub.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ApplySubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
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
    /// ends after its buffered notifications.
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
        if (!Enum.IsDefined(options.Protocol))
        {
            throw new ArgumentException($"PushClientOptions.Protocol '{options.Protocol}' is not supported.", nameof(options));
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
        // The new connection is in no topic yet: subscribe again before telling the app, so that
        // "Reconnected" means "receiving everything again".
        var generation = Interlocked.Increment(ref _reconnectGeneration);
        await ApplySubscriptionsAsync(CancellationToken.None).ConfigureAwait(false);

        // If the connection dropped (or reconnected once more) meanwhile, this event is stale: the
        // next Reconnected, raised after its own re-subscribe, speaks for the current connection.
        if (generation == Volatile.Read(ref _reconnectGeneration) && _hub.State == HubConnectionState.Connected)
        {
            await RaiseAsync(Reconnected, connectionId, nameof(Reconnected)).ConfigureAwait(false);
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
