using System.Net;
using System.Text.RegularExpressions;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>Each key has its own publish rate; over it the answer is 429 with Retry-After, and other keys go on.</summary>
public sealed partial class RateLimitTests : SingleNodeTest
{
    private const string LimitedKey = "limited-publisher-key-0123456789";
    private const int Burst = 5;

    private HttpClient _limited = null!;

    // One notification a second and a burst of five for "limited"; the default (1,000/s) for "tests".
    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:Limits:MaxBatchSize"] = $"{Burst}",
        ["Push:ApiKeys:1:Name"] = "limited",
        ["Push:ApiKeys:1:Key"] = LimitedKey,
        ["Push:ApiKeys:1:RateLimit:PermitsPerSecond"] = "1",
        ["Push:ApiKeys:1:RateLimit:Burst"] = $"{Burst}",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _limited = Node.CreatePublisherClient(LimitedKey);
    }

    public override async Task DisposeAsync()
    {
        _limited.Dispose();
        await base.DisposeAsync();
    }

    private static object[] Batch(string user, int count) => [.. Enumerable.Range(0, count).Select(_ => new { type = "t", users = new[] { user } })];

    [GeneratedRegex("^[1-9][0-9]*$")]
    private static partial Regex WholeSeconds();

    [Fact]
    public async Task OverTheLimitIs429WithRetryAfterAndOtherKeysAreStillServed()
    {
        var user = SecurityHelpers.Unique("rate");
        var (first, _, firstResponse) = await _limited.PostAsync("/api/v1/notifications/batch", Batch(user, Burst));
        firstResponse.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, first);

        // The burst is spent; one a second comes back, so a few quick publishes find the bucket empty.
        var refused = await PublishUntilRefusedAsync(user);

        using (refused.Response)
        {
            Assert.Equal("application/problem+json", refused.Response.Content.Headers.ContentType?.MediaType);
            var retryAfter = string.Join(",", refused.Response.Headers.GetValues("Retry-After"));
            Assert.Matches(WholeSeconds(), retryAfter);
        }
        Assert.Equal(429, refused.Problem.GetProperty("status").GetInt32());
        Assert.Contains("'limited'", refused.Problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Another key's budget is its own.
        var other = SecurityHelpers.Unique("rate");
        var (status, _, response) = await Publisher.PostAsync("/api/v1/notifications/batch", Batch(other, Burst));
        response.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal(Burst, (await Publisher.StoredIdsAsync(other)).Count);
    }

    [Fact]
    public async Task ABatchCountsAsItsNotificationsAndARefusedBatchStoresNothing()
    {
        var user = SecurityHelpers.Unique("rate");
        var (first, _, firstResponse) = await _limited.PostAsync("/api/v1/notifications/batch", Batch(user, Burst));
        firstResponse.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, first);

        // A second batch of five needs five seconds' worth of refill: refused whole.
        var late = SecurityHelpers.Unique("rate");
        var (second, problem, secondResponse) = await _limited.PostAsync("/api/v1/notifications/batch", Batch(late, Burst));
        using (secondResponse)
        {
            Assert.True(second == HttpStatusCode.TooManyRequests, $"Expected 429, got {(int)second}: {problem}");
            Assert.True(secondResponse.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }
        Assert.Empty(await Publisher.StoredIdsAsync(late));
        Assert.Equal(Burst, (await Publisher.StoredIdsAsync(user)).Count);
    }

    [Fact]
    public async Task RefusedRequestsDoNotSpendTheBudget()
    {
        using var wrongKey = Node.CreatePublisherClient("wrong-publisher-key-0123456789");
        for (var i = 0; i < 2 * Burst; i++)
        {
            var (unknown, _, r1) = await wrongKey.PostAsync("/api/v1/notifications", new { type = "t", broadcast = true });
            r1.Dispose();
            Assert.Equal(HttpStatusCode.Unauthorized, unknown);
            var (invalid, _, r2) = await _limited.PostAsync("/api/v1/notifications", new { type = "not valid", broadcast = true });
            r2.Dispose();
            Assert.Equal(HttpStatusCode.BadRequest, invalid);
        }

        // The whole burst is still there.
        var user = SecurityHelpers.Unique("rate");
        var (status, _, response) = await _limited.PostAsync("/api/v1/notifications/batch", Batch(user, Burst));
        response.Dispose();
        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    private async Task<(HttpResponseMessage Response, System.Text.Json.JsonElement Problem)> PublishUntilRefusedAsync(string user)
    {
        // Bounded: at one notification a second, twenty quick publishes cannot all find a token.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (status, body, response) = await _limited.PostAsync("/api/v1/notifications", new { type = "t", users = new[] { user } });
            if (status == HttpStatusCode.TooManyRequests)
            {
                return (response, body);
            }
            response.Dispose();
            Assert.Equal(HttpStatusCode.Accepted, status);
        }
        throw new Xunit.Sdk.XunitException("Twenty publishes in a row were accepted at one a second.");
    }
}
