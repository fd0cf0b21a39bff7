using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// Browser pages of origins not in <c>Push:AllowedOrigins</c> cannot reach the hub by any transport
/// (a WebSocket is not covered by CORS), and get no CORS grant from the API; native clients, which
/// send no Origin, are not affected.
/// </summary>
public sealed class OriginsTests : SingleNodeTest
{
    private const string Allowed = "https://app.example.com";

    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:AllowedOrigins:0"] = Allowed,
        ["Push:AllowedOrigins:1"] = "https://*.example.org",
    };

    private static string Token => TestTokens.For("olga");

    [Theory]
    [InlineData(Allowed, true)]
    [InlineData("https://admin.example.org", true)]
    [InlineData(null, true)]
    [InlineData("https://evil.example", false)]
    [InlineData("http://app.example.com", false)]
    [InlineData("https://app.example.com.evil.example", false)]
    [InlineData("https://example.org", false)]
    [InlineData("null", false)]
    public async Task AWebSocketFromAnOriginConnectsOnlyWhenAllowed(string? origin, bool connects)
    {
        using var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        socket.Options.CollectHttpResponseDetails = true;
        var url = new UriBuilder(new Uri(Node.Url, $"{HubProtocolNames.HubPath}?access_token={Token}")) { Scheme = "ws" }.Uri;

        if (connects)
        {
            await socket.ConnectAsync(url, CancellationToken.None).DefaultTimeout();
            Assert.Equal(WebSocketState.Open, socket.State);
        }
        else
        {
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None).DefaultTimeout());
            Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
        }
    }

    [Theory]
    [InlineData("/negotiate?negotiateVersion=1", "POST")]
    [InlineData("?id=anything", "GET")]
    [InlineData("?id=anything", "POST")]
    public async Task EveryOtherHubRequestFromADisallowedOriginIs403ProblemDetails(string path, string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), HubProtocolNames.HubPath + path);
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await Publisher.SendAsync(request).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Push:AllowedOrigins", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAllowedOriginNegotiatesWithCorsHeaders()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{HubProtocolNames.HubPath}/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", Allowed);
        request.Headers.Authorization = new("Bearer", Token);
        using var response = await Publisher.SendAsync(request).DefaultTimeout();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal("true", Header(response, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("/hubs/notifications/negotiate")]
    [InlineData("/api/v1/notifications")]
    public async Task APreflightIsGrantedToAnAllowedOriginOnly(string path)
    {
        using var allowed = await PreflightAsync(path, Allowed);
        Assert.Equal(Allowed, Header(allowed, "Access-Control-Allow-Origin"));
        Assert.NotNull(Header(allowed, "Access-Control-Allow-Methods"));
        Assert.Contains("authorization", Header(allowed, "Access-Control-Allow-Headers") ?? "", StringComparison.OrdinalIgnoreCase);

        using var refused = await PreflightAsync(path, "https://evil.example");
        Assert.Null(Header(refused, "Access-Control-Allow-Origin"));
        Assert.Null(Header(refused, "Access-Control-Allow-Methods"));
    }

    [Fact]
    public async Task TheApiDoesNotGrantCredentials()
    {
        using var response = await PreflightAsync("/api/v1/notifications", Allowed);
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task ByDefaultProductionAllowsOnlyTheServicesOwnOriginAndDevelopmentAny()
    {
        var settings = PushNode.DefaultSettings();
        await using var production = await PushNode.StartAsync(settings);
        Assert.Equal(HttpStatusCode.Forbidden, await NegotiateFromAsync(production, "https://app.example.com"));
        Assert.Equal(HttpStatusCode.OK, await NegotiateFromAsync(production, production.Url.GetLeftPart(UriPartial.Authority)));
        Assert.Equal(HttpStatusCode.OK, await NegotiateFromAsync(production, null));

        await using var development = await PushNode.StartAsync(settings, environment: "Development");
        Assert.Equal(HttpStatusCode.OK, await NegotiateFromAsync(development, "https://app.example.com"));
    }

    [Theory]
    [InlineData("https://app.example.com/path")]
    [InlineData("app.example.com")]
    [InlineData("https://*example.com")]
    [InlineData("https://app.*.example.com")]
    [InlineData("ftp://app.example.com")]
    public async Task AnEntryThatIsNotAnOriginFailsStart(string entry)
    {
        var settings = PushNode.DefaultSettings();
        settings["Push:AllowedOrigins:0"] = entry;

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:AllowedOrigins:0", StringComparison.Ordinal));
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return await Publisher.SendAsync(request).DefaultTimeout();
    }

    private static async Task<HttpStatusCode> NegotiateFromAsync(PushNode node, string? origin)
    {
        using var http = new HttpClient { BaseAddress = node.Url };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{HubProtocolNames.HubPath}/negotiate?negotiateVersion=1");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        request.Headers.Authorization = new("Bearer", TestTokens.For("olga"));
        using var response = await http.SendAsync(request).DefaultTimeout();
        return response.StatusCode;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
