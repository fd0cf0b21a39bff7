using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using PushService.Protocol;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Publishing;

/// <summary>Every way a publish can be wrong gets its status and problem details, and the node keeps serving.</summary>
public sealed class PublishApiTests : SingleNodeTest
{
    private OfficialClient _subscriber = null!;

    protected override Dictionary<string, string?> Settings => new(PushNode.DefaultSettings())
    {
        ["Push:Limits:MaxDataBytes"] = "1024",
        ["Push:Limits:MaxBatchSize"] = "3",
        ["Push:Limits:MaxRequestBodyBytes"] = "65536",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _subscriber = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"));
    }

    public override async Task DisposeAsync()
    {
        await _subscriber.DisposeAsync();
        await base.DisposeAsync();
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"users":["alice"]}""", "type" },
        { """{"type":"","users":["alice"]}""", "type" },
        { """{"type":"has space","users":["alice"]}""", "type" },
        { "{\"type\":\"" + new string('a', 101) + "\",\"users\":[\"alice\"]}", "type" },
        { """{"type":"t"}""", "$" },
        { """{"type":"t","users":[],"topics":[],"broadcast":false}""", "$" },
        { """{"type":"t","users":["alice",""]}""", "users[1]" },
        { """{"type":"t","users":["alice",null]}""", "users[1]" },
        { """{"type":"t","users":["a\u0000b"]}""", "users[0]" },
        { """{"type":"t","topics":["no*wildcards"]}""", "topics[0]" },
        { """{"type":"t","users":"alice"}""", "users" },
        { """{"type":42,"users":["alice"]}""", "type" },
        { """{"type":"t","broadcast":"yes"}""", "broadcast" },
        { """{"type":"t","users":["alice"],"id":"bad id!"}""", "id" },
        { """{"type":"t","user":["alice"]}""", "user" },
        { """{"type":"t","users":["alice"]""", "$" },
        { "not json", "$" },
        { "[]", "$" },
        { """{"type":"t","users":["alice"],"data":""" + Nested(33) + "}", "data" },
    };

    /// <summary>Arrays nested <paramref name="depth"/> deep around a number.</summary>
    private static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task InvalidNotificationIs400NamingTheField(string body, string field)
    {
        var (status, problem, contentType) = await Publisher.PostRawAsync("/api/v1/notifications", PublishHelpers.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"Expected an error for '{field}', got {errors}");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task TooManyTargetsIs400()
    {
        var users = Enumerable.Range(0, 1001).Select(i => "u" + i).ToArray();
        var (status, problem, _) = await Publisher.PostRawAsync("/api/v1/notifications", JsonContent(new { type = "t", users }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("users", out _));
    }

    [Fact]
    public async Task DataOverTheLimitIs413NamingData()
    {
        var (status, problem, contentType) = await Publisher.PostRawAsync("/api/v1/notifications", JsonContent(new { type = "t", users = new[] { "alice" }, data = new string('x', 1100) }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.True(problem.GetProperty("errors").TryGetProperty("data", out _));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task BodyOverTheLimitIs413()
    {
        var huge = "{\"type\":\"t\",\"users\":[\"alice\"],\"data\":\"" + new string('x', 70_000) + "\"}";
        var (status, problem, contentType) = await Publisher.PostRawAsync("/api/v1/notifications", PublishHelpers.Json(huge));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(413, problem.GetProperty("status").GetInt32());

        // Without a Content-Length the limit is enforced while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/notifications") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Publisher.SendAsync(request).DefaultTimeout();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData(null)]
    public async Task NonJsonIs415(string? mediaType)
    {
        var content = new StringContent("""{"type":"t","users":["alice"]}""", Encoding.UTF8);
        content.Headers.ContentType = mediaType is null ? null : new MediaTypeHeaderValue(mediaType);
        var (status, problem, contentType) = await Publisher.PostRawAsync("/api/v1/notifications", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("application/problem+json", contentType);
        Assert.Equal(415, problem.GetProperty("status").GetInt32());
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-configured-key-at-all")]
    [InlineData(PushNode.ApiKey + "x")]
    public async Task MissingOrUnknownKeyIs401(string? key)
    {
        using var client = Node.CreatePublisherClient(apiKey: key is "" ? null : key);
        if (key is "")
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", "");
        }
        using var response = await client.PostAsync("/api/v1/notifications", PublishHelpers.Json("""{"type":"t","users":["alice"]}""")).DefaultTimeout();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.Single().Scheme);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task KeyInTheQueryStringIsNotAccepted()
    {
        using var client = Node.CreatePublisherClient(apiKey: null);
        using var response = await client.PostAsync("/api/v1/notifications?X-Api-Key=" + PushNode.ApiKey + "&api_key=" + PushNode.ApiKey, PublishHelpers.Json("""{"type":"t","users":["alice"]}""")).DefaultTimeout();
        // Refused outright, not merely unauthenticated: tests/Security/QueryStringKeyTests has the rest.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DataNestedToTheLimitReachesTheDotNetClientLiveAndOnResume()
    {
        // Deeper data used to be accepted and then broke the connection of each JSON subscriber it
        // reached (its parser stops at 64 levels, the frame adds up to six), again on every resume.
        var id = await Publisher.PublishAsync(JsonSerializer.Deserialize<JsonElement>("""{"type":"deep","users":["alice"],"data":""" + Nested(32) + "}"));
        var live = await _subscriber.WaitForAsync(id);
        Assert.Equal(Nested(32), live.Data.GetRawText());

        var resumed = await _subscriber.Connection.InvokeAsync<ResumeResultMessage>(HubProtocolNames.Resume,
            new[] { new StreamPositionMessage { Stream = live.Stream, Offset = live.Offset - 1, Epoch = live.Epoch } }).DefaultTimeout();
        var replayed = resumed.Streams.Single(s => s.Stream == live.Stream).Notifications.Single();
        Assert.Equal(Nested(32), replayed.Data.GetRawText());
        Assert.Null(_subscriber.ClosedBecause);
    }

    [Fact]
    public async Task PublisherIdIsKeptAndGeneratedIdsAreTimeSortable()
    {
        Assert.Equal("order-42:shipped", await Publisher.PublishAsync(new { type = "t", users = new[] { "alice" }, id = "order-42:shipped" }));
        var first = await Publisher.PublishAsync(new { type = "t", users = new[] { "alice" } });
        var second = await Publisher.PublishAsync(new { type = "t", users = new[] { "alice" } });
        Assert.Equal(7, Guid.Parse(first).Version);
        Assert.True(string.CompareOrdinal(first, second) < 0, $"{first} should sort before {second}");
        Assert.Equal(second, (await _subscriber.WaitForAsync(second)).Id);
    }

    [Fact]
    public async Task BatchAnswersIdsInOrderAndDelivers()
    {
        var (status, body, _) = await Publisher.PostRawAsync("/api/v1/notifications/batch", JsonContent(new object[]
        {
            new { type = "a", users = new[] { "alice" }, id = "batch-1" },
            new { type = "b", users = new[] { "alice" } },
            new { type = "c", users = new[] { "alice" }, id = "batch-3" },
        }));

        Assert.Equal(HttpStatusCode.Accepted, status);
        var items = body.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        Assert.Equal("batch-1", items[0].GetProperty("id").GetString());
        Assert.Equal("batch-3", items[2].GetProperty("id").GetString());
        foreach (var item in items)
        {
            Assert.True(item.TryGetProperty("createdAt", out _));
            await _subscriber.WaitForAsync(item.GetProperty("id").GetString()!);
        }
    }

    [Fact]
    public async Task BatchWithOneBadItemSendsNothing()
    {
        var (status, problem, _) = await Publisher.PostRawAsync("/api/v1/notifications/batch", JsonContent(new object[]
        {
            new { type = "a", users = new[] { "alice" }, id = "must-not-arrive" },
            new { type = "b" },
        }));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.GetProperty("errors").TryGetProperty("[1]", out _), problem.ToString());
        var sentinel = await Publisher.PublishAsync(new { type = "sentinel", users = new[] { "alice" } });
        await _subscriber.WaitForAsync(sentinel);
        Assert.DoesNotContain(_subscriber.Received.Items, n => n.Id == "must-not-arrive");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""{"type":"a","users":["alice"]}""")]
    [InlineData("""[{"type":"a","users":["alice"]},{"type":"a","users":["alice"]},{"type":"a","users":["alice"]},{"type":"a","users":["alice"]}]""")]
    [InlineData("""[{"type":"a","users":["alice"]}, 42]""")]
    public async Task BatchOfWrongShapeOrSizeIs400(string body)
    {
        var (status, problem, _) = await Publisher.PostRawAsync("/api/v1/notifications/batch", PublishHelpers.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(problem.TryGetProperty("errors", out _));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task OpenApiDocumentDescribesThePublishApi()
    {
        using var http = new HttpClient { BaseAddress = Node.Url };
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json").DefaultTimeout());
        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/notifications", out _));
        Assert.True(paths.TryGetProperty("/api/v1/notifications/batch", out _));
    }

    private static StringContent JsonContent(object value) => PublishHelpers.Json(JsonSerializer.Serialize(value));

    private async Task AssertStillServingAsync()
    {
        var id = await Publisher.PublishAsync(new { type = "still.serving", users = new[] { "alice" } });
        await _subscriber.WaitForAsync(id);
    }
}
