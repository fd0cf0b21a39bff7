using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.IdentityModel.Tokens;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// Issue #6's abuse suite: one node on Redis takes one case of every kind of bad input and abuse
/// in turn, each answered with its exact status or closure, while a healthy subscriber stays
/// connected and receives every notification published between the cases exactly once, in order.
/// Afterwards the node is ready, and no log line holds an API key or a token. The cases in depth
/// are in the other Security tests and in Publishing/PublishApiTests.
/// Alone in the process: a slow consumer, a flood and a thousand-notification batch load the node.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class AbuseSuiteTests : IAsyncLifetime, IDisposable
{
    private const string Issuer = "https://login.example.test";
    private const string Audience = "push";
    private const string AllowedOrigin = "https://app.example.test";
    private const string Healthy = "healthy";
    private const string Topic = "news";
    private const string Sink = "abuse-sink";   // where the abusers' accepted notifications go
    private const int HubBurst = 20;
    private const int RateLimitAbuseEvent = 1701;
    private const int SlowConsumerEvent = 1702;

    private const string ScopedKey = "scoped-publisher-key-1111aaaa";
    private const string LimitedKey = "limited-publisher-key-2222bbbb";
    private const string WrongKey = "wrong-publisher-key-3333cccc";
    private const string RevokedKey = "revoked-publisher-key-4444dddd";   // rotated out: in no configuration
    private const string QueryKey = "query-publisher-key-5555eeee";

    private static readonly object Good = new { type = "t", users = new[] { Sink } };

    private readonly RedisServer _redis = new();
    private readonly LogCapture _logs = new();
    private readonly List<string> _tokens = [];
    private readonly List<(string User, string Topic)> _published = [];
    private PushNode _node = null!;
    private HttpClient _publisher = null!;
    private OfficialClient _healthy = null!;

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task EveryAbuseGetsItsAnswerWhileAHealthySubscriberLosesNothingAndNoSecretIsLogged()
    {
        _node = await PushNode.StartAsync(Settings(), configure: _logs.AddTo);
        await using (_node)
        {
            _publisher = _node.CreatePublisherClient();
            await using (_healthy = await OfficialClient.ConnectAsync(_node, Token(Healthy, topics: Topic)))
            {
                await _healthy.SubscribeAsync(Topic);
                // Opened first, so that its token runs out while the other cases run.
                var expiring = await OpenExpiringConnectionAsync();
                await CheckpointAsync();

                await BadTokensAreRefusedWith401Async();
                await BadKeysAreRefusedAsync();
                await ForbiddenStreamsAndTopicsAreRefusedAsync();
                await BadPublishBodiesAreRefusedAsync();
                await BadHubTrafficIsRefusedOrClosedAsync();
                await PublishingOverTheRateIs429Async();
                await ACrossOriginWebSocketIs403Async();
                await AClientThatStopsReadingIsClosedAsync();
                await expiring.DefaultTimeout();
                await CheckpointAsync();

                using var ready = await _publisher.GetAsync("/healthz/ready").DefaultTimeout();
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                Assert.True(_healthy.ClosedBecause is null, $"The healthy subscriber was closed: {_healthy.ClosedBecause}");
                Assert.Equal(HubConnectionState.Connected, _healthy.Connection.State);
                var received = _healthy.Received.Items;
                Assert.Equal(_published.Select(p => p.User), received.Where(n => n.User == Healthy).Select(n => n.Id));
                Assert.Equal(_published.Select(p => p.Topic), received.Where(n => n.Topic == Topic).Select(n => n.Id));
                Assert.Equal(2 * _published.Count, received.Count);
            }
            _publisher.Dispose();
        }
        AssertNoSecretWasLogged();
    }

    private Dictionary<string, string?> Settings() => new(PushNode.DefaultSettings(_redis.ConnectionString, "abuse" + Guid.NewGuid().ToString("N")[..6]))
    {
        ["Push:Jwt:Issuer"] = Issuer,
        ["Push:Jwt:Audience"] = Audience,
        // A token is over the moment it expires.
        ["Push:Jwt:ClockSkew"] = "00:00:00",
        ["Push:AllowedOrigins:0"] = AllowedOrigin,
        ["Push:ApiKeys:1:Name"] = "scoped",
        ["Push:ApiKeys:1:Key"] = ScopedKey,
        ["Push:ApiKeys:1:Types:0"] = "email.*",
        ["Push:ApiKeys:2:Name"] = "limited",
        ["Push:ApiKeys:2:Key"] = LimitedKey,
        // One a second, and the smallest burst allowed: the largest batch (1,000).
        ["Push:ApiKeys:2:RateLimit:PermitsPerSecond"] = "1",
        ["Push:ApiKeys:2:RateLimit:Burst"] = "1000",
        // A rate so low that no token comes back during the test: the burst is all a connection has.
        ["Push:Limits:HubInvocationsPerSecond"] = "0.001",
        ["Push:Limits:HubInvocationBurst"] = $"{HubBurst}",
    };

    /// <summary>A token for this node's issuer and audience as <paramref name="change"/> leaves it, remembered for the log check.</summary>
    private string Token(string user, Action<SecurityTokenDescriptor>? change = null, params string[] topics)
    {
        var token = TestTokens.Build(user, d =>
        {
            d.Issuer = Issuer;
            d.Audience = Audience;
            d.Subject = new ClaimsIdentity([new Claim("sub", user), .. topics.Select(t => new Claim("topics", t))]);
            change?.Invoke(d);
        });
        _tokens.Add(token);
        return token;
    }

    /// <summary>Publishes the next numbered notification to the healthy user and to its topic, and awaits both.</summary>
    private async Task CheckpointAsync()
    {
        var n = _published.Count + 1;
        var toUser = await _publisher.PublishAsync(new { type = "checkpoint", users = new[] { Healthy }, data = n });
        var toTopic = await _publisher.PublishAsync(new { type = "checkpoint", topics = new[] { Topic }, data = n });
        _published.Add((toUser, toTopic));
        await _healthy.WaitForAsync(toUser);
        await _healthy.WaitForAsync(toTopic);
    }

    /// <summary>Connects with a token that expires in a few seconds; the task ends when the node closes the connection.</summary>
    private async Task<Task> OpenExpiringConnectionAsync()
    {
        var token = Token("brief", d => d.Expires = DateTime.UtcNow.AddSeconds(5));
        var client = await OfficialClient.ConnectAsync(_node, token);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        return AwaitCloseAsync();

        async Task AwaitCloseAsync()
        {
            await using (client)
            {
                await closed.Task.DefaultTimeout(TimeSpan.FromSeconds(30));
                Assert.Equal(HubConnectionState.Disconnected, client.Connection.State);
            }
        }
    }

    private async Task BadTokensAreRefusedWith401Async()
    {
        var refused = new (string What, string Token)[]
        {
            ("forged (another key)", Token("mallory", TestTokens.SignedWithAnotherKey)),
            ("unsigned (alg none)", Token("mallory", TestTokens.WithoutSignature)),
            ("of another issuer", Token("mallory", d => d.Issuer = "https://evil.example.test")),
            ("for another audience", Token("mallory", d => d.Audience = "another-api")),
            ("expired", Token("mallory", d => { d.NotBefore = DateTime.UtcNow.AddHours(-1); d.Expires = DateTime.UtcNow.AddMinutes(-1); })),
            ("not yet valid", Token("mallory", d => d.NotBefore = DateTime.UtcNow.AddMinutes(5))),
            ("without sub", Token("mallory", TestTokens.WithoutSubject)),
        };
        foreach (var (what, token) in refused)
        {
            // In the header, as native clients send it, and in the URL, as browsers do.
            using var negotiate = new HttpRequestMessage(HttpMethod.Post, $"{HubProtocolNames.HubPath}/negotiate?negotiateVersion=1");
            negotiate.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var answer = await _publisher.SendAsync(negotiate).DefaultTimeout();
            Assert.True(answer.StatusCode == HttpStatusCode.Unauthorized, $"negotiate with a token {what}: {(int)answer.StatusCode}");
            Assert.Equal(HttpStatusCode.Unauthorized, await UpgradeAsync(token, origin: null));
        }
        await CheckpointAsync();
    }

    private async Task BadKeysAreRefusedAsync()
    {
        using var wrong = _node.CreatePublisherClient(WrongKey);
        using var revoked = _node.CreatePublisherClient(RevokedKey);
        using var scoped = _node.CreatePublisherClient(ScopedKey);
        using var anonymous = _node.CreatePublisherClient(apiKey: null);
        await ExpectAsync(HttpStatusCode.Unauthorized, wrong.PostAsync("/api/v1/notifications", Good));
        await ExpectAsync(HttpStatusCode.Unauthorized, revoked.PostAsync("/api/v1/notifications", Good));
        await ExpectAsync(HttpStatusCode.Forbidden, scoped.PostAsync("/api/v1/notifications", new { type = "sms.new", users = new[] { Sink } }));
        await ExpectAsync(HttpStatusCode.BadRequest, anonymous.PostAsync($"/api/v1/notifications?api_key={QueryKey}", Good));
        await CheckpointAsync();
    }

    private async Task ForbiddenStreamsAndTopicsAreRefusedAsync()
    {
        await using var raw = await RawHubSocket.ConnectAsync(_node, Token("mallory", topics: Topic));
        await ExpectHubErrorAsync(raw, "forbidden:", HubProtocolNames.History, $"user:{Healthy}", null, 10);
        var resumed = await raw.CompletionAsync(await raw.InvokeAsync(HubProtocolNames.Resume, (object)new[] { new { stream = $"user:{Healthy}", offset = 0 } }));
        var streams = resumed!.Value.GetProperty("result").GetProperty("streams").EnumerateArray();
        var theirs = streams.Single(s => s.GetProperty("stream").GetString() == $"user:{Healthy}");
        Assert.Equal("forbidden", theirs.GetProperty("error").GetString());
        Assert.Equal(0, theirs.GetProperty("notifications").GetArrayLength());
        await ExpectHubErrorAsync(raw, "forbidden:", HubProtocolNames.Subscribe, "NEWS");
        await ExpectHubErrorAsync(raw, "forbidden:", HubProtocolNames.Subscribe, "secret");
        await ExpectHubErrorAsync(raw, "invalid_topic:", HubProtocolNames.Subscribe, "*");
        await ExpectHubErrorAsync(raw, "invalid_topic:", HubProtocolNames.Subscribe, "news\0");
        await ExpectHubErrorAsync(raw, "invalid_topic:", HubProtocolNames.Subscribe, new string('n', 10_000));
        // An unknown method is an error, and the connection stays: the next call is answered.
        await ExpectHubErrorAsync(raw, "'DropDatabase'", "DropDatabase", 1);
        var joined = await raw.CompletionAsync(await raw.InvokeAsync(HubProtocolNames.Subscribe, Topic));
        Assert.False(joined!.Value.TryGetProperty("error", out _), joined.Value.ToString());
        await CheckpointAsync();
    }

    private async Task BadPublishBodiesAreRefusedAsync()
    {
        await ExpectAsync(HttpStatusCode.BadRequest, PostRawAsync("/api/v1/notifications", """{"type":"t","users":["abuse-sink"]"""));
        await ExpectAsync(HttpStatusCode.BadRequest, PostRawAsync("/api/v1/notifications", """{"type":42,"users":{"abuse-sink":true}}"""));
        await ExpectAsync(HttpStatusCode.BadRequest, PostRawAsync("/api/v1/notifications",
            """{"type":"t","users":["abuse-sink"],"data":""" + new string('[', 10_000) + new string(']', 10_000) + "}"));
        // Within the parser's 64 levels but too deep for subscribers' parsers once framed: aimed at the
        // healthy subscriber, it would close its connection (and again on every resume).
        await ExpectAsync(HttpStatusCode.BadRequest, PostRawAsync("/api/v1/notifications",
            """{"type":"t","users":["healthy"],"topics":["news"],"data":""" + new string('[', 60) + new string(']', 60) + "}"));
        // 10 MB, over the 4 MiB default: refused by its Content-Length before it is read.
        await ExpectAsync(HttpStatusCode.RequestEntityTooLarge, PostRawAsync("/api/v1/notifications",
            "{\"type\":\"t\",\"users\":[\"abuse-sink\"],\"data\":\"" + new string('x', 10 * 1000 * 1000) + "\"}"));
        var batch = JsonSerializer.Serialize(Enumerable.Repeat(Good, 1001));
        await ExpectAsync(HttpStatusCode.BadRequest, PostRawAsync("/api/v1/notifications/batch", batch));
        await CheckpointAsync();
    }

    private async Task BadHubTrafficIsRefusedOrClosedAsync()
    {
        // A frame over Push:Limits:MaxHubMessageBytes (32 KiB), without an end the server could wait for.
        await using (var big = await RawHubSocket.ConnectAsync(_node, Token("mallory")))
        {
            await big.SendAsync(new string('x', 40 * 1024));
            var close = await big.ReadToEndAsync();
            Assert.Contains("Connection closed with an error", close?.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        await using (var handshake = await RawHubSocket.OpenAsync(_node, Token("mallory")))
        {
            await handshake.SendAsync("""{"protocol":"nope","version":1}""");
            Assert.Contains("not supported", await handshake.ReceiveAsync(), StringComparison.Ordinal);
            Assert.Null(await handshake.ReceiveAsync());
        }
        // The burst, then ten bursts refused; the next refusal says the connection is being closed,
        // and the call after it closes it.
        await using (var flood = await RawHubSocket.ConnectAsync(_node, Token("mallory")))
        {
            for (var i = 0; i < HubBurst + 10 * HubBurst + 2; i++)
            {
                await flood.InvokeAsync(HubProtocolNames.Unsubscribe, "t");
            }
            var refusals = new List<string>();
            while (await flood.ReceiveAsync() is { } frame)
            {
                if (frame.Contains("rate_limited:", StringComparison.Ordinal))
                {
                    refusals.Add(frame);
                }
            }
            // The warning always arrives; the answer to the closing call may be overtaken by the close.
            Assert.InRange(refusals.Count, 10 * HubBurst + 1, 10 * HubBurst + 2);
            Assert.Contains("being closed", refusals[10 * HubBurst], StringComparison.Ordinal);
            Assert.NotEqual(WebSocketState.Open, flood.State);
            Assert.Contains(_logs.Entries, e => e.EventId.Id == RateLimitAbuseEvent);
        }
        await CheckpointAsync();
    }

    private async Task PublishingOverTheRateIs429Async()
    {
        using var limited = _node.CreatePublisherClient(LimitedKey);
        await ExpectAsync(HttpStatusCode.Accepted, limited.PostAsync("/api/v1/notifications/batch", Enumerable.Repeat(Good, 1000).ToArray()));
        // One permit comes back a second: a few quick publishes find the bucket empty.
        for (var attempt = 0; ; attempt++)
        {
            var (status, problem, response) = await limited.PostAsync("/api/v1/notifications", Good);
            using (response)
            {
                if (status == HttpStatusCode.TooManyRequests)
                {
                    Assert.Equal(429, problem.GetProperty("status").GetInt32());
                    Assert.True(int.TryParse(string.Join(",", response.Headers.GetValues("Retry-After")), out var seconds) && seconds >= 1);
                    break;
                }
                Assert.True(status == HttpStatusCode.Accepted && attempt < 10, $"Publish {attempt} over the rate answered {(int)status}.");
            }
        }
        // The other keys' budgets are their own: the checkpoint publishes at once.
        await CheckpointAsync();
    }

    private async Task ACrossOriginWebSocketIs403Async()
    {
        Assert.Equal(HttpStatusCode.Forbidden, await UpgradeAsync(Token("mallory"), origin: "https://evil.example.test"));
        await CheckpointAsync();
    }

    /// <summary>
    /// A smaller version of SlowConsumerTests (which also bounds the node's memory): a client that
    /// never reads is closed once Push:Limits:MaxConnectionBufferBytes (1 MiB) is unsent.
    /// </summary>
    private async Task AClientThatStopsReadingIsClosedAsync()
    {
        await using var slow = await RawHubSocket.ConnectAsync(_node, Token("slowpoke", topics: "firehose"));
        var joined = await slow.CompletionAsync(await slow.InvokeAsync(HubProtocolNames.Subscribe, "firehose"));
        Assert.False(joined!.Value.TryGetProperty("error", out _));
        // From here on it never reads, until the end, to see its socket closed.
        var data = new string('x', 48 * 1024);
        for (var i = 0; i < 1000 && !_logs.Entries.Any(e => e.EventId.Id == SlowConsumerEvent); i++)
        {
            await _publisher.PublishAsync(new { type = "bulk", topics = new[] { "firehose" }, data });
            try
            {
                // Pings keep it alive by SignalR's own client timeout: only the guard may close it.
                await slow.SendAsync("""{"type":6}""");
            }
            catch (WebSocketException)
            {
                // The guard closed it a moment ago: the log entry the loop awaits is there.
            }
        }
        Assert.Contains(_logs.Entries, e => e.EventId.Id == SlowConsumerEvent && e.Text.Contains("slowpoke", StringComparison.Ordinal));
        await slow.ReadToEndAsync();
        Assert.NotEqual(WebSocketState.Open, slow.State);
        await CheckpointAsync();
    }

    /// <summary>A bare WebSocket upgrade with the token in the URL; the HTTP status the node answers.</summary>
    private async Task<HttpStatusCode> UpgradeAsync(string token, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        var url = new UriBuilder(new Uri(_node.Url, $"{HubProtocolNames.HubPath}?access_token={token}")) { Scheme = "ws" }.Uri;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None).DefaultTimeout());
        return socket.HttpStatusCode;
    }

    private async Task<(HttpStatusCode, JsonElement, HttpResponseMessage)> PostRawAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await _publisher.PostAsync(path, content).DefaultTimeout();
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private static async Task ExpectAsync(HttpStatusCode expected, Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> call)
    {
        var (status, body, response) = await call;
        using (response)
        {
            Assert.True(status == expected, $"Expected {(int)expected}, got {(int)status}: {body}");
            if (status != HttpStatusCode.Accepted)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }

    private static async Task ExpectHubErrorAsync(RawHubSocket raw, string error, string method, params object?[] arguments)
    {
        var completion = await raw.CompletionAsync(await raw.InvokeAsync(method, arguments));
        Assert.True(completion is { } c && c.TryGetProperty("error", out var message) && message.GetString()!.Contains(error, StringComparison.Ordinal),
            $"{method} answered {completion?.ToString() ?? "nothing: the connection closed"}; expected an error with '{error}'.");
    }

    private void AssertNoSecretWasLogged()
    {
        var entries = _logs.Entries;
        // The logs do hold the requests and the refusals, so finding no secret in them means something.
        Assert.Contains(entries, e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Text.Contains("access_token=[redacted]", StringComparison.Ordinal));
        Assert.NotEmpty(_logs.Containing("api_key=[redacted]"));
        Assert.NotEmpty(_logs.Containing("Key scoped asked to publish outside its scope"));
        Assert.NotEmpty(_logs.Containing("Key limited is over its publish rate"));
        var secrets = new[] { PushNode.ApiKey, ScopedKey, LimitedKey, WrongKey, RevokedKey, QueryKey }
            .Concat(_tokens.Select(t => t.TrimEnd('.')))
            // The signature alone identifies a token (an unsigned one has none).
            .Concat(_tokens.Select(t => t[(t.LastIndexOf('.') + 1)..]).Where(signature => signature.Length > 0));
        foreach (var secret in secrets)
        {
            var leaks = entries.Where(e => e.Text.Contains(secret, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"{leaks.Count} log lines hold a secret, e.g.:\n{leaks.FirstOrDefault()?.Text}");
        }
    }
}
