using System.Net;
using Microsoft.Extensions.Logging;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// Every log line a node writes — every category, at Trace — through good and bad publishes
/// holds no key: neither a valid one, nor a wrong one a caller presented.
/// </summary>
public sealed class KeysNeverLoggedTests
{
    private const string PlainKey = "plain-secret-key-AAAA1111";
    private const string HashedKey = "hashed-secret-key-BBBB2222";
    private const string ScopedKey = "scoped-secret-key-CCCC3333";
    private const string LimitedKey = "limited-secret-key-DDDD4444";
    private const string WrongKey = "wrong-secret-key-EEEE5555";
    private const string QueryKey = "query-secret-key-FFFF6666";

    [Fact]
    public async Task NoKeyAppearsInAnyLogLine()
    {
        var capture = new LogCapture();
        var settings = PushNode.DefaultSettings();
        settings["Push:ApiKeys:0:Name"] = "plain";
        settings["Push:ApiKeys:0:Key"] = PlainKey;
        settings["Push:ApiKeys:1:Name"] = "hashed";
        settings["Push:ApiKeys:1:Hash"] = SecurityHelpers.Sha256Hex(HashedKey);
        settings["Push:ApiKeys:2:Name"] = "scoped";
        settings["Push:ApiKeys:2:Key"] = ScopedKey;
        settings["Push:ApiKeys:2:Types:0"] = "email.*";
        settings["Push:ApiKeys:2:ReadHistory"] = "false";
        settings["Push:ApiKeys:3:Name"] = "limited";
        settings["Push:ApiKeys:3:Key"] = LimitedKey;
        settings["Push:ApiKeys:3:RateLimit:PermitsPerSecond"] = "1";
        settings["Push:ApiKeys:3:RateLimit:Burst"] = "2";
        settings["Push:Limits:MaxBatchSize"] = "2";

        await using (var node = await PushNode.StartAsync(settings, configure: capture.AddTo))
        {
            using var plain = node.CreatePublisherClient(PlainKey);
            using var hashed = node.CreatePublisherClient(HashedKey);
            using var scoped = node.CreatePublisherClient(ScopedKey);
            using var limited = node.CreatePublisherClient(LimitedKey);
            using var wrong = node.CreatePublisherClient(WrongKey);
            using var anonymous = node.CreatePublisherClient(apiKey: null);
            var good = new { type = "email.new", users = new[] { "alice" } };

            await Expect(HttpStatusCode.Accepted, plain.PostAsync("/api/v1/notifications", good));
            await Expect(HttpStatusCode.Accepted, hashed.PostAsync("/api/v1/notifications", good));
            await Expect(HttpStatusCode.Accepted, scoped.PostAsync("/api/v1/notifications", good));
            await Expect(HttpStatusCode.Unauthorized, wrong.PostAsync("/api/v1/notifications", good));
            await Expect(HttpStatusCode.Unauthorized, anonymous.PostAsync("/api/v1/notifications", good));
            await Expect(HttpStatusCode.BadRequest, plain.PostAsync($"/api/v1/notifications?api_key={QueryKey}", good));
            await Expect(HttpStatusCode.BadRequest, wrong.PostAsync($"/api/v1/notifications/batch?X-API-KEY={WrongKey}", new[] { good }));
            await Expect(HttpStatusCode.BadRequest, anonymous.SendAsync(HttpMethod.Get, $"/api/v1/users/alice/notifications?key={PlainKey}"));
            await Expect(HttpStatusCode.Forbidden, scoped.PostAsync("/api/v1/notifications", new { type = "sms.new", users = new[] { "alice" } }));
            await Expect(HttpStatusCode.Forbidden, scoped.SendAsync(HttpMethod.Get, "/api/v1/users/alice/notifications"));
            await Expect(HttpStatusCode.BadRequest, hashed.PostAsync("/api/v1/notifications", new { type = "bad type", users = new[] { "alice" } }));
            await Expect(HttpStatusCode.Accepted, limited.PostAsync("/api/v1/notifications/batch", new[] { good, good }));
            await ExpectRateLimitedAsync(limited, good);
        }

        Assert.NotEmpty(capture.Entries);
        // The capture does see the requests (so an empty search proves something): our events name the keys.
        Assert.NotEmpty(capture.Containing("Key scoped asked to publish outside its scope"));
        Assert.NotEmpty(capture.Containing("carried an API key in its query string"));
        Assert.NotEmpty(capture.Containing("Key limited is over its publish rate"));
        Assert.NotEmpty(capture.Containing("/api/v1/notifications"));
        foreach (var secret in new[] { PlainKey, HashedKey, ScopedKey, LimitedKey, WrongKey, QueryKey, SecurityHelpers.Sha256Hex(HashedKey) })
        {
            var leaks = capture.Containing(secret);
            Assert.True(leaks.Count == 0, $"A key was logged:\n{string.Join("\n---\n", leaks.Select(e => e.Text))}");
        }
    }

    private static async Task Expect(HttpStatusCode expected, Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body, HttpResponseMessage Response)> call)
    {
        var (status, body, response) = await call;
        response.Dispose();
        Assert.True(status == expected, $"Expected {(int)expected}, got {(int)status}: {body}");
    }

    private static async Task ExpectRateLimitedAsync(HttpClient limited, object body)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (status, _, response) = await limited.PostAsync("/api/v1/notifications", body);
            response.Dispose();
            if (status == HttpStatusCode.TooManyRequests)
            {
                return;
            }
        }
        throw new Xunit.Sdk.XunitException("The limited key was never refused.");
    }
}
