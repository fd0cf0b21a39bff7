using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.History;
using PushService.Lifecycle;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Hosting;

/// <summary>A bad configuration stops the node at start with a message naming the setting.</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task UnsetSettingsTakeTheDocumentedDefaults()
    {
        // Operators size Redis and retries from these numbers (README: configuration, guarantees).
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:RedisPrefix");
        await using var node = await PushNode.StartAsync(settings);

        var history = node.Services.GetRequiredService<IOptions<HistoryOptions>>().Value;
        Assert.Equal(1000, history.Size);
        Assert.Equal(TimeSpan.FromHours(24), history.Ttl);
        Assert.Equal(TimeSpan.FromHours(24), history.IdempotencyWindow);
        var limits = node.Services.GetRequiredService<IOptions<LimitsOptions>>().Value;
        Assert.Equal(64 * 1024, limits.MaxDataBytes);
        Assert.Equal(1000, limits.MaxBatchSize);
        Assert.Equal(TimeSpan.FromSeconds(30), node.Services.GetRequiredService<IOptions<DrainOptions>>().Value.Timeout);
        Assert.Equal("push", node.Services.GetRequiredService<IOptions<PushOptions>>().Value.RedisPrefix);
    }

    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "Push:ApiKeys:0:Key", "short", "Push:ApiKeys:0:Key" },
        { "Push:ApiKeys:0:Name", "", "Push:ApiKeys:0:Name" },
        { "Push:Jwt:SigningKey", "too-short-for-hs256", "Push:Jwt:SigningKey" },
        { "Push:Jwt:Authority", "not a url", "Push:Jwt:Authority" },
        { "Push:Redis", "127.0.0.1:6379,notAnOption=1", "Push:Redis" },
        { "Push:RedisPrefix", "push*", "Push:RedisPrefix" },
        { "Push:Limits:MaxDataBytes", "0", "Push:Limits:MaxDataBytes" },
        { "Push:Limits:MaxBatchSize", "-1", "Push:Limits:MaxBatchSize" },
        { "Push:Limits:MaxSubscriptionsPerConnection", "0", "Push:Limits:MaxSubscriptionsPerConnection" },
        { "Push:ApiKeys:0:Hash", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "exactly one of Push:ApiKeys:0:Key" },
        { "Push:ApiKeys:0:Types:0", "email.*.new", "Push:ApiKeys:0:Types:0" },
        { "Push:ApiKeys:0:Topics:0", "has space", "Push:ApiKeys:0:Topics:0" },
        { "Push:RateLimits:Publish:PermitsPerSecond", "0", "Push:RateLimits:Publish:PermitsPerSecond" },
        { "Push:RateLimits:Publish:Burst", "999", "Push:RateLimits:Publish:Burst" },
        { "Push:ApiKeys:0:RateLimit:PermitsPerSecond", "-5", "Push:ApiKeys:0:RateLimit:PermitsPerSecond" },
        { "Push:ApiKeys:0:RateLimit:Burst", "10", "Push:ApiKeys:0:RateLimit:Burst" },
    };

    public static TheoryData<string, string> BadHashes => new()
    {
        { "too short", "0123456789abcdef" },
        { "not hex", new string('g', 64) },
        { "sha256sum's whole line", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  -" },
    };

    [Theory]
    [MemberData(nameof(BadHashes))]
    public async Task AHashThatIsNotASha256FailsStartNamingIt(string why, string hash)
    {
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:ApiKeys:0:Key");
        settings["Push:ApiKeys:0:Hash"] = hash;

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));

        Assert.True(failure.Failures.Any(f => f.Contains("Push:ApiKeys:0:Hash must be a SHA-256", StringComparison.Ordinal)), why);
    }

    [Fact]
    public async Task AKeyWithNeitherKeyNorHashFailsStart()
    {
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:ApiKeys:0:Key");

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:ApiKeys:0 must set exactly one of Push:ApiKeys:0:Key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TwoKeysWithOneNameFailStart()
    {
        var settings = PushNode.DefaultSettings();
        settings["Push:ApiKeys:1:Name"] = "tests";
        settings["Push:ApiKeys:1:Key"] = "another-key-0123456789";

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:ApiKeys:1:Name 'tests' is used by another key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnInvalidKeyIsNotEchoedInTheFailure()
    {
        var settings = PushNode.DefaultSettings();
        settings["Push:ApiKeys:0:Key"] = "short-secret";

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:ApiKeys:0:Key must be at least 16 characters", StringComparison.Ordinal));
        Assert.DoesNotContain("short-secret", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task InvalidSettingFailsStartNamingIt(string key, string? value, string named)
    {
        var settings = PushNode.DefaultSettings();
        settings[key] = value;

        var failure = await PushNode.StartFailureAsync(settings);

        var validation = Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains(validation.Failures, f => f.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoPublisherKeyFailsStart()
    {
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:ApiKeys:0:Name");
        settings.Remove("Push:ApiKeys:0:Key");

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:ApiKeys", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoWayToValidateTokensFailsStart()
    {
        var settings = PushNode.DefaultSettings();
        settings.Remove("Push:Jwt:SigningKey");

        var failure = Assert.IsType<OptionsValidationException>(await PushNode.StartFailureAsync(settings));
        Assert.Contains(failure.Failures, f => f.Contains("Push:Jwt:SigningKey or Push:Jwt:Authority", StringComparison.Ordinal));
    }
}
