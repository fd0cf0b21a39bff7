using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using PushService.Protocol;

namespace PushService.Tests.Infrastructure;

/// <summary>A subscriber on the official Microsoft.AspNetCore.SignalR.Client, recording what it receives.</summary>
public sealed class OfficialClient : IAsyncDisposable
{
    private OfficialClient(HubConnection connection) => Connection = connection;

    public HubConnection Connection { get; }

    internal Inbox<NotificationMessage> Received { get; } = new();

    /// <param name="awaitAdmission">Make one hub call so that the connection receives once this returns (<see cref="HubSession.AdmittedAsync"/>); off where a test counts the connection's calls.</param>
    /// <param name="tokenInQuery">Send the token as the <c>access_token</c> query parameter of every request, as browsers must, instead of an Authorization header.</param>
    public static async Task<OfficialClient> ConnectAsync(PushNode node, string token, HttpTransportType transport = HttpTransportType.WebSockets, bool messagePack = false, bool reconnect = false, bool awaitAdmission = true, bool tokenInQuery = false)
    {
        var hub = new Uri(node.Url, HubProtocolNames.HubPath + (tokenInQuery ? "?access_token=" + Uri.EscapeDataString(token) : ""));
        var builder = new HubConnectionBuilder()
            .WithUrl(hub, options =>
            {
                if (!tokenInQuery)
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
                options.Transports = transport;
            });
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }
        if (reconnect)
        {
            builder.WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5)]);
        }
        var client = new OfficialClient(builder.Build());
        client.Connection.On<NotificationMessage>(HubProtocolNames.NotificationTarget, client.Received.Add);
        client.Connection.Closed += error =>
        {
            client.ClosedBecause = error?.Message ?? "closed by the server without an error (e.g. asked to reconnect)";
            return Task.CompletedTask;
        };
        await client.Connection.StartAsync().DefaultTimeout();
        if (awaitAdmission)
        {
            await client.Connection.AdmittedAsync();
        }
        return client;
    }

    public Task SubscribeAsync(string topic) => Connection.InvokeAsync(HubProtocolNames.Subscribe, topic).DefaultTimeout();

    public Task UnsubscribeAsync(string topic) => Connection.InvokeAsync(HubProtocolNames.Unsubscribe, topic).DefaultTimeout();

    /// <summary>Why the connection closed, when it did: a wait that times out says so.</summary>
    public string? ClosedBecause { get; private set; }

    internal async Task<NotificationMessage> WaitForAsync(string id, [System.Runtime.CompilerServices.CallerFilePath] string file = "", [System.Runtime.CompilerServices.CallerLineNumber] int line = 0)
    {
        try
        {
            return await Received.WaitForAsync(n => n.Id == id, file: file, line: line);
        }
        catch (TimeoutException ex) when (ClosedBecause is { } reason)
        {
            throw new TimeoutException($"{ex.Message} The connection had closed: {reason}.", ex);
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
