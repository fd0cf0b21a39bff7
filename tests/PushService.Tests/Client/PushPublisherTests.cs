using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Client;

/// <summary>Our .NET SDK's publisher against a real node.</summary>
public sealed class PushPublisherTests : SingleNodeTest
{
    private OfficialClient _alice = null!;
    private ServiceProvider _services = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _alice = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"));
        _services = new ServiceCollection()
            .AddPushPublisher(o => { o.BaseAddress = Node.Url; o.ApiKey = PushNode.ApiKey; })
            .Services.BuildServiceProvider();
    }

    public override async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _alice.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task PublishAsyncDelivers()
    {
        var publisher = _services.GetRequiredService<PushPublisher>();

        var result = await publisher.PublishAsync(new PublishRequest("email.new") { Users = ["alice"], Data = new { Subject = "Hello" } }).DefaultTimeout();

        var received = await _alice.WaitForAsync(result.Id);
        Assert.Equal("Hello", received.Data.GetProperty("subject").GetString());
        Assert.Equal(result.CreatedAt.UtcDateTime, received.CreatedAt);
    }

    [Fact]
    public async Task PublishBatchAsyncAnswersInOrder()
    {
        var publisher = _services.GetRequiredService<PushPublisher>();

        var results = await publisher.PublishBatchAsync([
            new PublishRequest("a") { Users = ["alice"], Id = "first" },
            new PublishRequest("b") { Users = ["alice"] },
        ]).DefaultTimeout();

        Assert.Equal("first", results[0].Id);
        await _alice.WaitForAsync(results[1].Id);
    }

    [Fact]
    public async Task ValidationErrorIsATypedExceptionWithTheProblem()
    {
        var publisher = _services.GetRequiredService<PushPublisher>();

        var error = await Assert.ThrowsAsync<PushApiException>(() => publisher.PublishAsync(new PublishRequest("bad type") { Users = ["alice"] }));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal(400, error.Problem!.Status);
        Assert.Contains("type", error.Problem.Errors.Keys);
    }

    [Fact]
    public async Task WrongKeyIsAnUnauthorizedException()
    {
        using var http = new HttpClient { BaseAddress = Node.Url };
        var publisher = new PushPublisher(http, new PushPublisherOptions { BaseAddress = Node.Url, ApiKey = "wrong-key-0123456789" });

        var error = await Assert.ThrowsAsync<PushApiException>(() => publisher.PublishAsync(new PublishRequest("t") { Broadcast = true }));

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("API key required", error.Problem!.Title);
    }

    [Fact]
    public async Task ALostResponseIsRetriedWithTheSameIdAndStoredOnce()
    {
        // The first answer is lost after the service stored and pushed the notification.
        using var handler = new LoseFirstResponse { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(handler);
        var publisher = new PushPublisher(http, new PushPublisherOptions { BaseAddress = Node.Url, ApiKey = PushNode.ApiKey, MaxRetryDelay = TimeSpan.FromMilliseconds(50) });

        var result = await publisher.PublishAsync(new PublishRequest("t") { Users = ["alice"] }).DefaultTimeout();

        Assert.Equal(2, handler.Attempts);
        Assert.Equal(7, Guid.Parse(result.Id).Version);
        var copies = await _alice.Received.WaitForAsync(n => n.Id == result.Id);
        using var history = await Publisher.GetAsync("/api/v1/users/alice/notifications?limit=100").DefaultTimeout();
        var stored = System.Text.Json.JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement.GetProperty("notifications")
            .EnumerateArray().Count(n => n.GetProperty("id").GetString() == result.Id);
        Assert.Equal(1, stored);
        Assert.Equal(copies.CreatedAt, result.CreatedAt.UtcDateTime);
    }

    [Fact]
    public async Task AValidationErrorIsNotRetried()
    {
        using var handler = new LoseFirstResponse { InnerHandler = new HttpClientHandler(), LoseNone = true };
        using var http = new HttpClient(handler);
        var publisher = new PushPublisher(http, new PushPublisherOptions { BaseAddress = Node.Url, ApiKey = PushNode.ApiKey });

        await Assert.ThrowsAsync<PushApiException>(() => publisher.PublishAsync(new PublishRequest("bad type") { Users = ["alice"] }));

        Assert.Equal(1, handler.Attempts);
    }

    /// <summary>Forwards every request; throws away the first response as a dropped connection would.</summary>
    private sealed class LoseFirstResponse : DelegatingHandler
    {
        private int _attempts;

        public int Attempts => _attempts;

        public bool LoseNone { get; init; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (Interlocked.Increment(ref _attempts) == 1 && !LoseNone)
            {
                response.Dispose();
                throw new HttpRequestException("The connection was closed before the response arrived.");
            }
            return response;
        }
    }
}
