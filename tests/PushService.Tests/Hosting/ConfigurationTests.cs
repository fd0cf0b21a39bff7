using Microsoft.Extensions.Options;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Hosting;

/// <summary>A bad configuration stops the node at start with a message naming the setting.</summary>
public sealed class ConfigurationTests
{
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
    };

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
