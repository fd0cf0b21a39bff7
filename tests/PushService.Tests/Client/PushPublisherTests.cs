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
}
