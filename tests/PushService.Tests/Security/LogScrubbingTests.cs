using System.Net;
using System.Net.WebSockets;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// Browsers put the subscriber's token in hub URLs (<c>?access_token=</c>). No log line of any
/// category, at any level, may then contain it: not ASP.NET Core's request lines, not SignalR's,
/// not Kestrel's, not ours.
/// </summary>
public sealed class LogScrubbingTests : IAsyncLifetime, IDisposable
{
    private readonly LogCapture _logs = new();
    private PushNode _node = null!;

    public async Task InitializeAsync() => _node = await PushNode.StartAsync(configure: _logs.AddTo);

    public async Task DisposeAsync() => await _node.DisposeAsync();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task NoTokenInTheQueryReachesAnyLog()
    {
        var secrets = new List<string>();
        string Token(string user, DateTime expires)
        {
            var token = TestTokens.Create(new ClaimsIdentity([new Claim("sub", user)]), expires);
            secrets.Add(token);
            return token;
        }

        // Valid tokens over every transport, negotiated and (WebSockets) not.
        foreach (var (transport, skipNegotiation) in new[]
        {
            (HttpTransportType.WebSockets, false), (HttpTransportType.WebSockets, true),
            (HttpTransportType.ServerSentEvents, false), (HttpTransportType.LongPolling, false),
        })
        {
            var user = $"quinn-{transport}-{skipNegotiation}";
            await using var connection = new HubConnectionBuilder()
                .WithUrl(QueryUrl(Token(user, DateTime.UtcNow.AddHours(1))), o => { o.Transports = transport; o.SkipNegotiation = skipNegotiation; })
                .Build();
            var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.On<NotificationMessage>(HubProtocolNames.NotificationTarget, _ => received.TrySetResult());
            await connection.StartAsync().DefaultTimeout();
            await connection.AdmittedAsync();
            using var publisher = _node.CreatePublisherClient();
            await publisher.PublishAsync(new { type = "t", users = new[] { user } });
            await received.Task.DefaultTimeout();
        }

        // Refused tokens: expired, not yet valid, forged, not a JWT at all; over negotiate and a raw upgrade.
        var refused = new[]
        {
            Token("expired", DateTime.UtcNow.AddMinutes(-5)),
            TestTokens.Create(new ClaimsIdentity([new Claim("sub", "forged")]), DateTime.UtcNow.AddHours(1), signingKey: "another-key-0123456789-0123456789-0123456789"),
            "not-a-jwt-" + Guid.NewGuid().ToString("N"),
        };
        secrets.AddRange(refused[1..]);
        using var http = new HttpClient { BaseAddress = _node.Url };
        foreach (var token in refused)
        {
            using var negotiate = await http.PostAsync($"{HubProtocolNames.HubPath}/negotiate?negotiateVersion=1&access_token={token}", null).DefaultTimeout();
            Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
            using var socket = new ClientWebSocket();
            var upgrade = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUrl(token), CancellationToken.None).DefaultTimeout());
            // Also where nobody reads it (the REST API), and in another spelling ASP.NET still reads.
            using var elsewhere = await http.GetAsync($"/api/v1/users/x/notifications?ACCESS_TOKEN={token}").DefaultTimeout();
        }

        var entries = _logs.Entries;
        // The request lines were logged (with the parameter, scrubbed): the check below looks where tokens would be.
        Assert.Contains(entries, e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Text.Contains("access_token=[redacted]", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Category.StartsWith("Microsoft.AspNetCore.Http.Connections", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            // The signature alone identifies a token: no part of it may appear.
            var signature = secret[(secret.LastIndexOf('.') + 1)..];
            var leaks = entries.Where(e => e.Text.Contains(secret, StringComparison.Ordinal) || e.Text.Contains(signature, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"{leaks.Count} log lines hold a token, e.g. [{leaks.FirstOrDefault()?.Category}] {leaks.FirstOrDefault()?.Text}");
        }
    }

    private Uri QueryUrl(string token) => new(_node.Url, $"{HubProtocolNames.HubPath}?access_token={token}");

    private Uri WebSocketUrl(string token) => new UriBuilder(QueryUrl(token)) { Scheme = "ws" }.Uri;
}
