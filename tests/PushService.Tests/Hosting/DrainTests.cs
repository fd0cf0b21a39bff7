using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Hosting;

/// <summary>A stopping node drains: unready, no new connections, clients told to reconnect, within the drain time.</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task StoppingNodeTurnsUnreadyRefusesNewConnectionsAndAsksClientsToReconnect()
    {
        var node = await PushNode.StartAsync(new(PushNode.DefaultSettings())
        {
            // The delay holds the node in its draining state long enough to look at it.
            ["Push:Drain:Delay"] = "00:00:02",
            ["Push:Drain:Timeout"] = "00:00:10",
        });
        using var http = new HttpClient { BaseAddress = node.Url };
        await using var client = new PushClient(new PushClientOptions
        {
            Url = node.Url,
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.For("alice")),
        });
        var reconnecting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnecting += _ => { reconnecting.TrySetResult(); return Task.CompletedTask; };
        await client.StartAsync().DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/ready")).StatusCode);

        // What SIGTERM does: the host's lifetime is told to stop (ApplicationStopping), while the
        // server still listens.
        var stopwatch = Stopwatch.StartNew();
        var stopping = Task.Run(node.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication);

        await Eventually.TrueAsync(async () => (await http.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.ServiceUnavailable);
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/notifications/negotiate?negotiateVersion=1")
        {
            Headers = { { "Authorization", "Bearer " + TestTokens.For("bob") } },
        };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.SendAsync(negotiate)).StatusCode);
        Assert.Equal(PushConnectionState.Connected, client.State);

        // Closed with "reconnect allowed": the client starts reconnecting (elsewhere, behind a balancer).
        await reconnecting.Task.DefaultTimeout();
        await stopping.DefaultTimeout();
        await node.DisposeAsync();
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"The drain took {stopwatch.Elapsed}.");
    }

    [Fact]
    public async Task DrainSettingsAreValidated()
    {
        var settings = PushNode.DefaultSettings();
        settings["Push:Drain:Timeout"] = "00:00:05";
        settings["Push:Drain:Delay"] = "00:00:05";

        var failure = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:Drain:Delay", StringComparison.Ordinal));
    }
}
