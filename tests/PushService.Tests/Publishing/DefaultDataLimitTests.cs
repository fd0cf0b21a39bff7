using System.Net;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Publishing;

/// <summary>With no limits configured, <c>data</c> may be 64 KiB of JSON, and a notification that large reaches its subscriber.</summary>
public sealed class DefaultDataLimitTests : SingleNodeTest
{
    private const int DefaultLimit = 64 * 1024;

    /// <summary>A body whose <c>data</c> is a JSON string of exactly <paramref name="dataBytes"/> bytes, quotes included.</summary>
    private static string BodyWithData(int dataBytes) =>
        "{\"type\":\"big\",\"users\":[\"alice\"],\"data\":\"" + new string('x', dataBytes - 2) + "\"}";

    [Fact]
    public async Task DataOfExactly64KiBIsAcceptedAndDeliveredAndOneByteMoreIs413()
    {
        await using var alice = await OfficialClient.ConnectAsync(Node, TestTokens.For("alice"));

        var (accepted, answer, _) = await Publisher.PostRawAsync("/api/v1/notifications", PublishHelpers.Json(BodyWithData(DefaultLimit)));
        Assert.Equal(HttpStatusCode.Accepted, accepted);
        var delivered = await alice.WaitForAsync(answer.GetProperty("id").GetString()!);
        Assert.Equal(DefaultLimit - 2, delivered.Data.GetString()!.Length);

        var (refused, problem, contentType) = await Publisher.PostRawAsync("/api/v1/notifications", PublishHelpers.Json(BodyWithData(DefaultLimit + 1)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused);
        Assert.Equal("application/problem+json", contentType);
        Assert.Contains("65536", problem.GetProperty("errors").GetProperty("data")[0].GetString(), StringComparison.Ordinal);
    }
}
