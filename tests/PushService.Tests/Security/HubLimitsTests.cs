using System.Net.WebSockets;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>What a hub client may send: size, rate, and the frames no client library sends.</summary>
public sealed class HubLimitsTests : SingleNodeTest
{
    // A rate so low that no token comes back during a test: the burst is all there is.
    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:Limits:MaxHubMessageBytes"] = "1024",
        ["Push:Limits:HubInvocationsPerSecond"] = "0.001",
        ["Push:Limits:HubInvocationBurst"] = "3",
    };

    [Fact]
    public async Task AFrameOverTheSizeLimitClosesTheConnectionWithAnErrorAndTheNodeServesOn()
    {
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("sam", "*"));
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connection.Closed += error => { closed.TrySetResult(error); return Task.CompletedTask; };

        var call = client.Connection.InvokeAsync(HubProtocolNames.Subscribe, new string('a', 2000));

        var error = await closed.Task.DefaultTimeout();
        Assert.Contains("Connection closed with an error", error?.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<Exception>(() => call).DefaultTimeout();
        await AssertNodeServesAsync();
    }

    [Fact]
    public async Task ARawFrameOverTheSizeLimitGetsACloseMessage()
    {
        await using var raw = await RawHubSocket.ConnectAsync(Node, TestTokens.For("sam"));
        // No record separator within the limit: the server must not wait for one forever.
        await raw.SendAsync(new string('x', 4096));
        var close = await raw.ReadToEndAsync();
        Assert.NotNull(close);
        Assert.Contains("Connection closed with an error", close.Value.GetProperty("error").GetString(), StringComparison.Ordinal);
        await AssertNodeServesAsync();
    }

    [Fact]
    public async Task InvocationsOverTheRateAreRefusedWithACodeAndTheConnectionStays()
    {
        // Its own calls admit it: a probe call would spend one of the burst under test.
        await using var client = await OfficialClient.ConnectAsync(Node, TestTokens.For("rita", "t:*"), awaitAdmission: false);
        await client.SubscribeAsync("t:1");
        await client.SubscribeAsync("t:2");
        await client.UnsubscribeAsync("t:2");

        var error = await Assert.ThrowsAsync<HubException>(() => client.SubscribeAsync("t:3"));
        Assert.Contains("rate_limited:", error.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
        // Still subscribed to what it joined before, and another connection has a bucket of its own.
        var id = await Publisher.PublishAsync(new { type = "t", topics = new[] { "t:1" } });
        await client.WaitForAsync(id);
        await using var other = await OfficialClient.ConnectAsync(Node, TestTokens.For("rita", "t:*"), awaitAdmission: false);
        await other.SubscribeAsync("t:3");
    }

    [Fact]
    public async Task AConnectionThatKeepsGoingFarOverTheRateIsClosed()
    {
        await using var raw = await RawHubSocket.ConnectAsync(Node, TestTokens.For("max"));
        // Burst 3, then ten times the burst refused; the next refusal says the connection is being
        // closed, and the call after it closes it.
        for (var i = 0; i < 3 + 30 + 1 + 1; i++)
        {
            await raw.InvokeAsync(HubProtocolNames.Unsubscribe, "t");
        }
        var refusals = new List<string>();
        while (await raw.ReceiveAsync() is { } frame)
        {
            if (frame.Contains("rate_limited:", StringComparison.Ordinal))
            {
                refusals.Add(frame);
            }
        }
        // The 31st refusal always arrives; the answer to the closing call may be overtaken by the close.
        Assert.InRange(refusals.Count, 31, 32);
        Assert.DoesNotContain("being closed", refusals[29], StringComparison.Ordinal);
        Assert.Contains("being closed", refusals[30], StringComparison.Ordinal);
        Assert.NotEqual(WebSocketState.Open, raw.State);
        await AssertNodeServesAsync();
    }

    [Fact]
    public async Task AnUnknownMethodOrBadArgumentsAreErrorsAndTheConnectionStays()
    {
        await using var raw = await RawHubSocket.ConnectAsync(Node, TestTokens.For("uma", "news"));
        var unknown = await raw.CompletionAsync(await raw.InvokeAsync("DropDatabase", 1));
        Assert.Contains("'DropDatabase'", unknown!.Value.GetProperty("error").GetString(), StringComparison.Ordinal);
        var wrongArguments = await raw.CompletionAsync(await raw.InvokeAsync(HubProtocolNames.Subscribe, 1, 2, 3));
        Assert.True(wrongArguments!.Value.TryGetProperty("error", out _));
        // Not a JSON object at all closes only this connection.
        var joined = await raw.CompletionAsync(await raw.InvokeAsync(HubProtocolNames.Subscribe, "news"));
        Assert.False(joined!.Value.TryGetProperty("error", out _), joined.Value.ToString());
        await raw.SendAsync("{not json");
        Assert.NotNull(await raw.ReadToEndAsync());
        await AssertNodeServesAsync();
    }

    [Theory]
    [InlineData("""{"protocol":"nope","version":1}""", "not supported")]
    [InlineData("""{"protocol":"json","version":99}""", "version")]
    [InlineData("""{"protocol":"json"}""", "")]
    [InlineData("hello", "")]
    [InlineData("[]", "")]
    public async Task ABadHandshakeIsAnsweredWithAnErrorAndTheNodeServesOn(string handshake, string says)
    {
        await using var raw = await RawHubSocket.OpenAsync(Node, TestTokens.For("hal"));
        await raw.SendAsync(handshake);
        var answer = await raw.ReceiveAsync();
        // Either a handshake response naming the problem, or the connection simply ends.
        if (answer is not null)
        {
            Assert.Contains("\"error\"", answer, StringComparison.Ordinal);
            Assert.Contains(says, answer, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Null(await raw.ReceiveAsync());
        await AssertNodeServesAsync();
    }

    [Theory]
    [InlineData("Push:Limits:MaxConnectionsPerUser", "0")]
    [InlineData("Push:Limits:HubInvocationsPerSecond", "0")]
    [InlineData("Push:Limits:HubInvocationsPerSecond", "-1")]
    [InlineData("Push:Limits:HubInvocationBurst", "0")]
    [InlineData("Push:Limits:MaxConnectionBufferBytes", "65536")]
    [InlineData("Push:Limits:MaxHubMessageBytes", "0")]
    public async Task ABadLimitStopsTheNodeNamingTheSetting(string key, string value)
    {
        var error = await PushNode.StartFailureAsync(new(PushNode.DefaultSettings()) { [key] = value });
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    private async Task AssertNodeServesAsync()
    {
        await using var healthy = await OfficialClient.ConnectAsync(Node, TestTokens.For("healthy"));
        var id = await Publisher.PublishAsync(new { type = "t", users = new[] { "healthy" } });
        await healthy.WaitForAsync(id);
    }
}
