using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Hosting;

/// <summary>The demo app and its token minting and publishing exist in Development, or where Push:Demo:Enabled says so outside Production; never in Production.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task DevelopmentServesThePageAndMintsWorkingTokens()
    {
        await using var node = await PushNode.StartAsync(environment: "Development");
        using var http = new HttpClient { BaseAddress = node.Url };

        var page = await http.GetStringAsync("/").DefaultTimeout();
        Assert.Contains("@pushservice/client", page, StringComparison.Ordinal);
        // Every module the page's import map names is served.
        foreach (var module in (string[])["/lib/pushservice-client/index.js", "/lib/signalr/signalr.mjs", "/lib/signalr/signalr-protocol-msgpack.mjs"])
        {
            using var response = await http.GetAsync(module).DefaultTimeout();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        }
        var config = await http.GetStringAsync("/demo/config").DefaultTimeout();
        Assert.DoesNotContain(PushNode.ApiKey, config, StringComparison.Ordinal);

        using var tokenResponse = await http.PostAsJsonAsync("/demo/token", new { user = "alice", topics = new[] { "news" } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;

        await using var client = await OfficialClient.ConnectAsync(node, token);
        await client.SubscribeAsync("news");
        using var publisher = node.CreatePublisherClient();
        var id = await publisher.PublishAsync(new { type = "t", topics = new[] { "news" } });
        await client.WaitForAsync(id);

        // The demo's publish form: the REST publish without an API key, with the same rules.
        using var published = await http.PostAsJsonAsync("/demo/publish", new { type = "demo", users = new[] { "alice" } }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        await client.WaitForAsync((await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        using var invalid = await http.PostAsJsonAsync("/demo/publish", new { type = "demo" }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PushDemoEnabledServesTheDemoInStagingAndFalseTurnsItOffInDevelopment()
    {
        var enabled = PushNode.DefaultSettings();
        enabled["Push:Demo:Enabled"] = "true";
        await using (var node = await PushNode.StartAsync(enabled, environment: "Staging"))
        {
            using var http = new HttpClient { BaseAddress = node.Url };
            Assert.Contains("@pushservice/client", await http.GetStringAsync("/").DefaultTimeout(), StringComparison.Ordinal);
            using var token = await http.PostAsJsonAsync("/demo/token", new { user = "alice" }).DefaultTimeout();
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        }

        var disabled = PushNode.DefaultSettings();
        disabled["Push:Demo:Enabled"] = "false";
        await using (var node = await PushNode.StartAsync(disabled, environment: "Development"))
        {
            using var http = new HttpClient { BaseAddress = node.Url };
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/").DefaultTimeout()).StatusCode);
            using var token = await http.PostAsJsonAsync("/demo/token", new { user = "alice" }).DefaultTimeout();
            Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
        }
    }

    [Fact]
    public async Task ProductionNeverMintsTokensAndRefusesToStartWithTheDemoOn()
    {
        var settings = PushNode.DefaultSettings();
        settings["Push:Demo:Enabled"] = "true";

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings, environment: "Production"));

        Assert.Contains(failure.Failures, f => f.Contains("Push:Demo:Enabled", StringComparison.Ordinal) && f.Contains("Production", StringComparison.Ordinal));
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
        using var publish = await http.PostAsJsonAsync("/demo/publish", new { type = "t", broadcast = true }).DefaultTimeout();
        Assert.Equal(HttpStatusCode.NotFound, publish.StatusCode);
    }
}
