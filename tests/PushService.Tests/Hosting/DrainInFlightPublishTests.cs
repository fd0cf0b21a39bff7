using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushService.Lifecycle;
using PushService.Tests.Infrastructure;
using StackExchange.Redis;

namespace PushService.Tests.Hosting;

/// <summary>
/// A drain waits for publishes in flight, and no longer than <c>Push:Drain:Timeout</c>. The publish
/// is held in a real Redis by <c>CLIENT PAUSE … WRITE</c>: its append script waits until the test
/// lets it go, so "still in flight" is a fact, not a race.
/// </summary>
/// <remarks>Isolated because it reads <c>push_draining</c> from /metrics (see <see cref="Diagnostics.MetricsTests"/>).</remarks>
[Collection(IsolatedCollection.Name)]
public sealed class DrainInFlightPublishTests : IAsyncLifetime, IDisposable
{
    private readonly RedisServer _redis = new();
    private readonly LogCapture _logs = new();
    private ConnectionMultiplexer _admin = null!;
    private PushNode _node = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_redis.Port},allowAdmin=true");
    }

    private async Task StartNodeAsync(string timeout, string delay)
    {
        // Commands wait out the pause instead of timing out into a 503 halfway through the test.
        var settings = PushNode.DefaultSettings($"127.0.0.1:{_redis.Port},abortConnect=false,connectTimeout=2000,syncTimeout=30000,asyncTimeout=30000", "drain");
        settings["Push:Drain:Timeout"] = timeout;
        settings["Push:Drain:Delay"] = delay;
        _node = await PushNode.StartAsync(settings, configure: _logs.AddTo);
        _http = _node.CreatePublisherClient();
    }

    public async Task DisposeAsync()
    {
        await UnpauseAsync();
        _http?.Dispose();
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
        await _admin.DisposeAsync();
        await _redis.DisposeAsync();
    }

    public void Dispose() => _logs.Dispose();

    // Paused clients resume by themselves after 30 s at the latest, whatever happens to the test.
    private Task PauseWritesAsync() => _admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "30000", "WRITE");

    private Task UnpauseAsync() => _admin.GetDatabase().ExecuteAsync("CLIENT", "UNPAUSE");

    private DrainState Drain => _node.Services.GetRequiredService<DrainState>();

    /// <summary>Starts a publish and returns once the node holds it in flight, its append waiting on Redis.</summary>
    private async Task<Task<HttpResponseMessage>> PublishHeldAsync(string id)
    {
        await PauseWritesAsync();
        var publish = _http.PostAsJsonAsync("/api/v1/notifications", new { type = "t", users = new[] { "held" }, id });
        await Eventually.TrueAsync(() => Task.FromResult(Drain.InFlightPublishes == 1));
        return publish;
    }

    /// <summary>What SIGTERM does: ApplicationStopping runs (the drain first), while the server still listens.</summary>
    private Task StopApplicationAsync() => Task.Run(_node.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication);

    private bool Logged(int eventId) => _logs.Entries.Any(e => e.EventId.Id == eventId);

    [Fact]
    public async Task TheNodeStopsOnlyOnceThePublishInFlightIsAnsweredAndStored()
    {
        await StartNodeAsync(timeout: "00:01:00", delay: "00:00:00");
        var publish = await PublishHeldAsync("in-flight");

        var stopping = StopApplicationAsync();
        await Eventually.TrueAsync(async () => (await _http.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.ServiceUnavailable);
        var metrics = await _http.GetStringAsync("/metrics").DefaultTimeout();
        Assert.Equal("1", Regex.Match(metrics, @"^push_draining(?:\{[^}]*\})? ([0-9.]+)", RegexOptions.Multiline).Groups[1].Value);
        // Draining, no connection to wait for: only the held publish keeps the node from stopping.
        Assert.True(Drain.IsDraining);
        Assert.Equal(1, Drain.InFlightPublishes);
        Assert.False(publish.IsCompleted, "The publish cannot have been answered while Redis is paused.");
        Assert.False(stopping.IsCompleted, "The drain ended with a publish still in flight.");

        await UnpauseAsync();

        using var response = await publish.DefaultTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await stopping.DefaultTimeout();
        Assert.True(Logged(1401), "The drain should end as drained, not timed out.");
        Assert.False(Logged(1402));
        // The 202 stands for a stored notification: it is in the user's history.
        using var history = JsonDocument.Parse(await _http.GetStringAsync("/api/v1/users/held/notifications").DefaultTimeout());
        var stored = Assert.Single(history.RootElement.GetProperty("notifications").EnumerateArray());
        Assert.Equal("in-flight", stored.GetProperty("id").GetString());
        Assert.Equal(1, stored.GetProperty("offset").GetInt64());
    }

    [Fact]
    public async Task TheDrainWaitsNoLongerThanItsTimeout()
    {
        await StartNodeAsync(timeout: "00:00:02", delay: "00:00:01");
        var publish = await PublishHeldAsync("held-too-long");

        // Redis stays paused: the drain can only end by its timeout.
        await StopApplicationAsync().DefaultTimeout();
        Assert.True(Logged(1402), "The drain should have timed out.");
        Assert.False(publish.IsCompleted);
        Assert.Equal(1, Drain.InFlightPublishes);

        // The drain itself does not cut the publish off: once Redis answers, so does the node.
        await UnpauseAsync();
        using var response = await publish.DefaultTimeout();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(0, Drain.InFlightPublishes);
    }
}
