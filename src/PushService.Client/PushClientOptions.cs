using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using PushService.Client.Internal;

namespace PushService.Client;

/// <summary>
/// Options for a <see cref="PushClient"/>. The client copies them when it is constructed; later
/// changes have no effect on it.
/// </summary>
public sealed class PushClientOptions
{
    /// <summary>
    /// Gets or sets the base URL of the service, for example <c>https://push.example.com</c>.
    /// The client appends the hub path <c>/hubs/notifications</c> to it (after any path it already has).
    /// Required; must be an absolute <c>http</c> or <c>https</c> URL.
    /// </summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// Gets or sets a function that returns the JWT the client authenticates with. It is called
    /// before every connection attempt, including automatic reconnects, so it can refresh the token.
    /// The default is <see langword="null"/> (no token).
    /// </summary>
    /// <remarks>
    /// The service closes a connection when its token expires; the client then reconnects with a
    /// token from this function and resumes, so nothing is lost. Return a token that is valid for a
    /// while (refresh a cached one before it expires), or every connection lasts only moments.
    /// </remarks>
    public Func<Task<string?>>? AccessTokenProvider { get; set; }

    /// <summary>
    /// Gets or sets the transports the client may use. The default is all of them:
    /// WebSockets, Server-Sent Events and long polling, tried in that order.
    /// </summary>
    /// <remarks>
    /// Server-Sent Events carry text only: with <see cref="PushProtocol.MessagePack"/> the client
    /// skips them, and allowing nothing else is refused when the client is created.
    /// </remarks>
    public HttpTransportType Transports { get; set; } =
        HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;

    /// <summary>
    /// Gets or sets the hub protocol. The default is <see cref="PushProtocol.Json"/>.
    /// </summary>
    public PushProtocol Protocol { get; set; } = PushProtocol.Json;

    /// <summary>
    /// Gets or sets the policy that decides when to try to reconnect after the connection is lost;
    /// <see langword="null"/> disables automatic reconnects.
    /// </summary>
    /// <remarks>
    /// The default retries forever: after about 0–0.5 s, then about 1, 2, 5 and 10 s (each ±20 %),
    /// then every 10–30 s, chosen at random so that many clients losing one server do not all come
    /// back at the same moment. Automatic reconnects only follow a connection that was established;
    /// a failing <see cref="PushClient.StartAsync"/> throws instead.
    /// </remarks>
    public IRetryPolicy? ReconnectPolicy { get; set; } = new DefaultReconnectPolicy();

    /// <summary>
    /// Gets or sets how many notifications each <see cref="PushClient.ReadAllAsync"/> enumeration
    /// buffers before it fails with <see cref="PushClientOverflowException"/>. The default is 10,000.
    /// </summary>
    public int ReadBufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets the stream positions to resume from, as saved from <see cref="PushClient.Positions"/>
    /// by an earlier run of the app. The default is <see langword="null"/>: the client starts at each
    /// stream's current position and receives what is published from then on.
    /// </summary>
    /// <remarks>
    /// The user stream (<c>user:{id}</c>) and <c>broadcast</c> are resumed by <see cref="PushClient.StartAsync"/>;
    /// a topic stream (<c>topic:{name}</c>) when the app subscribes to the topic. What was published
    /// after a position is then handed to the app before newer notifications; if the service no longer
    /// has it, <see cref="PushClient.RecoveryFailed"/> is raised. A position of another user's stream is
    /// ignored. The dictionary is copied when the client is constructed.
    /// </remarks>
    public IReadOnlyDictionary<string, StreamPosition>? InitialPositions { get; set; }

    /// <summary>
    /// Gets or sets the logger factory used by the client and its SignalR connection. The default is
    /// <see langword="null"/>: nothing is logged.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Gets or sets a function that wraps or replaces the <see cref="HttpMessageHandler"/> used for
    /// negotiation, Server-Sent Events and long polling (for example a test server's handler).
    /// The default is <see langword="null"/>.
    /// </summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? HttpMessageHandlerFactory { get; set; }

    /// <summary>
    /// Gets or sets a callback that can further configure the underlying SignalR connection
    /// (timeouts, headers through <c>Services.Configure&lt;HttpConnectionOptions&gt;</c>, and so on).
    /// It runs last, after the client applied the options above. The default is <see langword="null"/>.
    /// </summary>
    public Action<IHubConnectionBuilder>? ConfigureConnection { get; set; }
}
