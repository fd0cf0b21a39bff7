using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// A subscriber app on the SDK's <see cref="PushClient"/>: what its handler is handed, its
/// recovery failures and its reconnects all go to the <see cref="Ledger"/>.
/// </summary>
public sealed class LedgerSubscriber : IAsyncDisposable
{
    private readonly IDisposable _handler;
    private readonly ILoggerFactory? _loggerFactory;

    private LedgerSubscriber(
        string name, string user, IReadOnlyList<string> topics, HttpTransportType transport, PushClient client, ClientLedger record,
        NegotiationLog negotiations, ILoggerFactory? loggerFactory)
    {
        Name = name;
        Transport = transport;
        Negotiations = negotiations;
        User = user;
        Topics = topics;
        Client = client;
        Record = record;
        _loggerFactory = loggerFactory;
        _handler = client.OnAny(record.Record);
        client.RecoveryFailed += failure =>
        {
            record.RecordRecoveryFailure(failure);
            return Task.CompletedTask;
        };
        client.Reconnected += _ =>
        {
            record.RecordReconnect();
            return Task.CompletedTask;
        };
    }

    public string Name { get; }

    public string User { get; }

    public IReadOnlyList<string> Topics { get; }

    public HttpTransportType Transport { get; }

    /// <summary>Through the local cluster's nginx: which node answered each of its negotiations.</summary>
    public NegotiationLog Negotiations { get; }

    public PushClient Client { get; }

    public ClientLedger Record { get; }

    /// <summary>The streams this subscriber receives: its user stream, its topics' streams and broadcast.</summary>
    public IReadOnlyList<string> Streams => [$"user:{User}", .. Topics.Select(t => $"topic:{t}"), "broadcast"];

    /// <summary>
    /// Creates a client for <paramref name="user"/> (token allowing <paramref name="topics"/>),
    /// subscribes to the topics and connects.
    /// </summary>
    /// <param name="configure">Further options, e.g. the load balancer's affinity cookie.</param>
    /// <param name="initialPositions">Positions saved by an earlier client of the same app: a restarted app resumes from them.</param>
    /// <param name="transport">The one transport it may use (WebSockets unless given).</param>
    public static async Task<LedgerSubscriber> StartAsync(
        Ledger ledger, string name, Uri url, string user, IReadOnlyList<string>? topics = null,
        PushProtocol protocol = PushProtocol.Json, Action<IHubConnectionBuilder>? configure = null, bool start = true,
        IReadOnlyDictionary<string, StreamPosition>? initialPositions = null, HttpTransportType transport = HttpTransportType.WebSockets)
    {
        topics ??= [];
        var token = TestTokens.For(user, [.. topics]);
        var loggerFactory = Environment.GetEnvironmentVariable("PUSH_TEST_LOGS") == "1"
            ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug))
            : null;
        var negotiations = new NegotiationLog();
        var client = new PushClient(new PushClientOptions
        {
            HttpMessageHandlerFactory = negotiations.Wrap,
            Url = url,
            AccessTokenProvider = () => Task.FromResult<string?>(token),
            Protocol = protocol,
            Transports = transport,
            // The SDK's default reconnect policy, as an app would have it.
            LoggerFactory = loggerFactory,
            ConfigureConnection = configure,
            InitialPositions = initialPositions,
        });
        var subscriber = new LedgerSubscriber(name, user, topics, transport, client, ledger.Client(name), negotiations, loggerFactory);
        foreach (var topic in topics)
        {
            // Recorded while disconnected: joined (with its position) by the start.
            await client.SubscribeAsync(topic);
        }
        if (start)
        {
            await client.StartAsync().DefaultTimeout();
        }
        return subscriber;
    }

    /// <summary>Completes once every publish accepted so far for each of this client's streams was handed over.</summary>
    public Task WaitForAllAcceptedAsync(Ledger ledger, IEnumerable<string>? streams = null)
        => Task.WhenAll((streams ?? Streams).Select(stream => Record.WaitForAsync(stream, ledger.AcceptedFor(stream))));

    public async ValueTask DisposeAsync()
    {
        _handler.Dispose();
        await Client.DisposeAsync();
        _loggerFactory?.Dispose();
    }
}
