using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Diagnostics;

/// <summary>
/// Redis going away shows in <c>push_redis_errors_total{operation}</c> for each kind of failure the
/// node handles, and the node goes on working once Redis is back.
/// </summary>
/// <remarks>Isolated for the reason given on <see cref="MetricsTests"/>: one scrape would mix in-process nodes.</remarks>
[Collection(IsolatedCollection.Name)]
public sealed class RedisErrorMetricsTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();
    private PushNode _node = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        await _redis.InitializeAsync();
        var settings = PushNode.DefaultSettings(_redis.ConnectionString, "errors");
        // Renewals every second, so a failed one comes soon after Redis goes.
        settings["Push:Presence:Lease"] = "00:00:03";
        _node = await PushNode.StartAsync(settings);
        _http = _node.CreatePublisherClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _node.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private static double Errors(string scrape, string operation)
    {
        var match = Regex.Match(scrape, @"^push_redis_errors_total\{[^}]*operation=""" + operation + @"""[^}]*\} ([0-9.eE+-]+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private async Task<string> ScrapeAsync() => await _http.GetStringAsync("/metrics").DefaultTimeout();

    private async Task<HttpStatusCode> StatusAsync(string path)
    {
        using var response = await _http.GetAsync(path).DefaultTimeout();
        return response.StatusCode;
    }

    [Fact]
    public async Task EachRedisFailureIsCountedByOperationAndTheNodeRecovers()
    {
        await using var client = await OfficialClient.ConnectAsync(_node, TestTokens.For("ada"), reconnect: true);
        var before = await ScrapeAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/api/v1/users/ada/notifications"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/api/v1/users/ada/presence"));

        _redis.Kill();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync("/api/v1/users/ada/notifications"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await StatusAsync("/api/v1/users/ada/presence"));
        using (var publish = await _http.PostAsJsonAsync("/api/v1/notifications", new { type = "t", users = new[] { "ada" }, id = "while-down" }).DefaultTimeout())
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, publish.StatusCode);
        }
        var during = await ScrapeAsync();
        Assert.Equal(1, Errors(during, "read") - Errors(before, "read"));
        Assert.Equal(1, Errors(during, "presence_read") - Errors(before, "presence_read"));
        // One publish to one stream: one failed append.
        Assert.Equal(1, Errors(during, "append") - Errors(before, "append"));
        // The lease renewal of the connected client fails on its own schedule.
        await Eventually.TrueAsync(async () => Errors(await ScrapeAsync(), "presence_write") > Errors(before, "presence_write"));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/healthz/live"));

        await _redis.RestartAsync();

        // Back: readiness returns, and reads and publishes work again without counting errors.
        await Eventually.TrueAsync(async () => await StatusAsync("/healthz/ready") == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        var recovered = await ScrapeAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/api/v1/users/ada/notifications"));
        await _http.PublishAsync(new { type = "t", users = new[] { "zed" }, id = "after-outage" });
        var after = await ScrapeAsync();
        Assert.Equal(Errors(recovered, "read"), Errors(after, "read"));
        Assert.Equal(Errors(recovered, "append"), Errors(after, "append"));
    }
}
