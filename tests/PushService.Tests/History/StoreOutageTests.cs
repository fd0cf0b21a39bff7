using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Tests.Infrastructure;
using static PushService.Tests.Infrastructure.HubSession;

namespace PushService.Tests.History;

/// <summary>Redis going away: no 202 for what is not stored, readiness follows, clients are told to resume.</summary>
public sealed class StoreOutageTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private PushNode _node = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        _node = await PushNode.StartAsync(PushNode.DefaultSettings(_redis.ConnectionString, "outage"));
        _http = _node.CreatePublisherClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _node.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task<HttpStatusCode> ReadinessAsync()
    {
        using var response = await _http.GetAsync("/healthz/ready");
        return response.StatusCode;
    }

    [Fact]
    public async Task WithoutRedisAPublishIs503WithRetryAfterAndReadinessFails()
    {
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/healthz/live")).StatusCode);

        _redis.Kill();
        using var response = await _http.PostAsJsonAsync("/api/v1/notifications", new { type = "t", users = new[] { "alice" }, id = "during-outage" }).DefaultTimeout();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/healthz/live")).StatusCode);
    }

    [Fact]
    public async Task AfterARestartWithoutPersistenceClientsReconnectAndLearnTheHistoryIsGone()
    {
        await using var client = await OfficialClient.ConnectAsync(_node, TestTokens.For("bob"), reconnect: true);
        var before = await client.WaitForAsync(await _http.PublishAsync(new { type = "t", users = new[] { "bob" } }));
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Connection.Reconnected += _ => { reconnected.TrySetResult(); return Task.CompletedTask; };

        await _redis.RestartAsync();

        // The node notices the gap, and once Redis is back asks its clients to reconnect.
        await reconnected.Task.DefaultTimeout(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => await ReadinessAsync() == HttpStatusCode.OK);
        var recovery = (await client.ResumeAsync(At("user:bob", before.Offset, before.Epoch))).For("user:bob");
        Assert.False(recovery.Recovered);
        Assert.NotEqual(before.Epoch, recovery.Epoch);
    }
}
