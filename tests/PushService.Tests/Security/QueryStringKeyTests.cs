using System.Net;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>A key in a URL is refused before anything is done, even beside a good header.</summary>
public sealed class QueryStringKeyTests : SingleNodeTest
{
    public static TheoryData<string> KeyParameters => ["api_key", "apikey", "key", "x-api-key", "API_KEY", "ApiKey", "Key", "X-Api-Key"];

    [Theory]
    [MemberData(nameof(KeyParameters))]
    public async Task APublishWithAKeyInTheQueryStringIs400AndStoresNothing(string parameter)
    {
        var user = SecurityHelpers.Unique("qs");

        // The header holds a valid key: the request would be accepted without the query parameter.
        var (status, problem, response) = await Publisher.PostAsync($"/api/v1/notifications?{parameter}={PushNode.ApiKey}", new { type = "t", users = new[] { user } });
        using (response)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("API key in the query string", problem.GetProperty("title").GetString());
        Assert.Contains("X-Api-Key header", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await Publisher.StoredIdsAsync(user));
    }

    [Fact]
    public async Task ABatchWithAKeyInTheQueryStringIs400AndStoresNothing()
    {
        var user = SecurityHelpers.Unique("qs");

        var (status, _, response) = await Publisher.PostAsync($"/api/v1/notifications/batch?apikey={PushNode.ApiKey}", new[] { new { type = "t", users = new[] { user } } });
        response.Dispose();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Empty(await Publisher.StoredIdsAsync(user));
    }

    [Theory]
    [InlineData("/api/v1/users/alice/notifications?key=whatever-it-is-0123")]
    [InlineData("/api/v1/users/alice/presence?api_key=whatever-it-is-0123")]
    public async Task ReadsWithAKeyInTheQueryStringAre400(string path)
    {
        var (status, problem, response) = await Publisher.SendAsync(HttpMethod.Get, path);
        response.Dispose();

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("API key in the query string", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task WithoutAHeaderTheQueryStringKeyIsStill400Not401()
    {
        using var anonymous = Node.CreatePublisherClient(apiKey: null);

        var (status, _, response) = await anonymous.PostAsync($"/api/v1/notifications?api_key={PushNode.ApiKey}", new { type = "t", broadcast = true });
        response.Dispose();

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task OtherQueryParametersDoNotTriggerTheGuard()
    {
        var user = SecurityHelpers.Unique("qs");

        var (status, body, response) = await Publisher.PostAsync("/api/v1/notifications?keys=1&monkey=2&source=billing", new { type = "t", users = new[] { user } });
        response.Dispose();

        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal([body.GetProperty("id").GetString()!], await Publisher.StoredIdsAsync(user));
    }
}
