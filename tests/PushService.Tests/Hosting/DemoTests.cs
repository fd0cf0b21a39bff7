using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Hosting;

/// <summary>The demo page and its token minting exist in Development and nowhere else.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task DevelopmentServesThePageAndMintsWorkingTokens()
    {
        await using var node = await PushNode.StartAsync(environment: "Development");
        using var http = new HttpClient { BaseAddress = node.Url };

        var page = await http.GetStringAsync("/").DefaultTimeout();
        Assert.Contains("signalr", page, StringComparison.OrdinalIgnoreCase);
        var config = await http.GetFromJsonAsync<JsonElement>("/demo/config").DefaultTimeout();
        Assert.Equal(PushNode.ApiKey, config.GetProperty("apiKey").GetString());

        using var tokenResponse = await http.PostAsJsonAsync("/demo/token", new { user = "alice", topics = new[] { "news" } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;

        await using var client = await OfficialClient.ConnectAsync(node, token);
        await client.SubscribeAsync("news");
        using var publisher = node.CreatePublisherClient();
        var id = await publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        await client.WaitForAsync(id);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task OutsideDevelopmentThereIsNoDemoAndNoTokenMinting(string environment)
    {
        await using var node = await PushNode.StartAsync(environment: environment);
        using var http = new HttpClient { BaseAddress = node.Url };

        using var token = await http.PostAsJsonAsync("/demo/token", new { user = "alice", topics = new[] { "*" } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/demo/config").DefaultTimeout()).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/").DefaultTimeout()).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/demo.js").DefaultTimeout()).StatusCode);
    }
}
