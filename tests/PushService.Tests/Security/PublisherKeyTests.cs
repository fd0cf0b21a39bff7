using System.Net;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>Publisher keys as plain text or SHA-256 hashes, several at once, and rotation.</summary>
public sealed class PublisherKeyTests
{
    private const string OldKey = "old-publisher-key-0123456789";
    private const string NewKey = "new-publisher-key-9876543210";

    private static Dictionary<string, string?> Keys(params (string Name, string Setting, string Value)[] keys)
    {
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:ApiKeys:0:Name");
        settings.Remove("Push:ApiKeys:0:Key");
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Push:ApiKeys:{i}:Name"] = keys[i].Name;
            settings[$"Push:ApiKeys:{i}:{keys[i].Setting}"] = keys[i].Value;
        }
        return settings;
    }

    private static async Task<HttpStatusCode> PublishStatusAsync(PushNode node, string? key, string user = "alice")
    {
        using var client = node.CreatePublisherClient(key);
        var (status, _, response) = await client.PostAsync("/api/v1/notifications", new { type = "t", users = new[] { user } });
        response.Dispose();
        return status;
    }

    [Fact]
    public async Task AKeyConfiguredByItsHashIsAccepted()
    {
        await using var node = await PushNode.StartAsync(Keys(("hashed", "Hash", SecurityHelpers.Sha256Hex(NewKey))));

        Assert.Equal(HttpStatusCode.Accepted, await PublishStatusAsync(node, NewKey));
        // The hash is what is stored, not a key that works.
        Assert.Equal(HttpStatusCode.Unauthorized, await PublishStatusAsync(node, SecurityHelpers.Sha256Hex(NewKey)));
    }

    [Fact]
    public async Task AnUppercaseHashIsAcceptedToo()
    {
        await using var node = await PushNode.StartAsync(Keys(("hashed", "Hash", SecurityHelpers.Sha256Hex(NewKey).ToUpperInvariant())));

        Assert.Equal(HttpStatusCode.Accepted, await PublishStatusAsync(node, NewKey));
    }

    [Fact]
    public async Task APlainKeyIsAccepted()
    {
        await using var node = await PushNode.StartAsync(Keys(("plain", "Key", OldKey)));

        Assert.Equal(HttpStatusCode.Accepted, await PublishStatusAsync(node, OldKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await PublishStatusAsync(node, NewKey));
    }

    [Fact]
    public async Task DuringRotationBothKeysWorkAndOnceRemovedTheOldOneIs401()
    {
        // Step 1-2 of the README's procedure: the new key is added beside the old one.
        var rotating = Keys(("backend-2024", "Key", OldKey), ("backend-2025", "Hash", SecurityHelpers.Sha256Hex(NewKey)));
        await using (var node = await PushNode.StartAsync(rotating))
        {
            Assert.Equal(HttpStatusCode.Accepted, await PublishStatusAsync(node, OldKey));
            Assert.Equal(HttpStatusCode.Accepted, await PublishStatusAsync(node, NewKey));
        }

        // Step 4: the old key is removed (revoked); nodes restarted with that configuration refuse it.
        await using var revoked = await PushNode.StartAsync(Keys(("backend-2025", "Hash", SecurityHelpers.Sha256Hex(NewKey))));
        Assert.Equal(HttpStatusCode.Unauthorized, await PublishStatusAsync(revoked, OldKey));
        Assert.Equal(HttpStatusCode.Accepted, await PublishStatusAsync(revoked, NewKey));
    }

    [Fact]
    public async Task AnUnknownKeyIs401WithProblemDetails()
    {
        await using var node = await PushNode.StartAsync();
        using var client = node.CreatePublisherClient("unknown-key-0123456789abcdef");

        var (status, problem, response) = await client.PostAsync("/api/v1/notifications", new { type = "t", users = new[] { "alice" } });
        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal("ApiKey", response.Headers.WwwAuthenticate.ToString());
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
        }
    }
}
