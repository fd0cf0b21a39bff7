using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PushService.Configuration;

/// <summary>Fails start-up with messages that name the setting at fault.</summary>
internal sealed class PushOptionsValidator : IValidateOptions<PushOptions>
{
    public ValidateOptionsResult Validate(string? name, PushOptions options)
    {
        var failures = new List<string>();
        if (options.UsesRedis)
        {
            try
            {
                ConfigurationOptions.Parse(options.Redis);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"Push:Redis is not a valid StackExchange.Redis connection string: {ex.Message}");
            }
        }
        if (string.IsNullOrWhiteSpace(options.RedisPrefix) || options.RedisPrefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '*' or '?' or '[' or ']'))
        {
            failures.Add("Push:RedisPrefix must be a non-empty name without spaces, control characters or glob characters (* ? [ ]).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class LimitsOptionsValidator : IValidateOptions<LimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitsOptions options)
    {
        var failures = new List<string>();
        void Positive(long value, string setting)
        {
            if (value <= 0)
            {
                failures.Add($"Push:Limits:{setting} must be greater than 0 (got {value}).");
            }
        }
        Positive(options.MaxRequestBodyBytes, nameof(options.MaxRequestBodyBytes));
        Positive(options.MaxDataBytes, nameof(options.MaxDataBytes));
        Positive(options.MaxBatchSize, nameof(options.MaxBatchSize));
        Positive(options.MaxUsersPerNotification, nameof(options.MaxUsersPerNotification));
        Positive(options.MaxTopicsPerNotification, nameof(options.MaxTopicsPerNotification));
        Positive(options.MaxSubscriptionsPerConnection, nameof(options.MaxSubscriptionsPerConnection));
        Positive(options.MaxHubMessageBytes, nameof(options.MaxHubMessageBytes));
        Positive(options.MaxConnectionsPerUser, nameof(options.MaxConnectionsPerUser));
        Positive(options.HubInvocationBurst, nameof(options.HubInvocationBurst));
        if (!(options.HubInvocationsPerSecond > 0) || double.IsInfinity(options.HubInvocationsPerSecond))
        {
            failures.Add($"Push:Limits:HubInvocationsPerSecond must be a number greater than 0 (got {options.HubInvocationsPerSecond}).");
        }
        // A connection must fit a few of the largest notifications, or every large one would close it.
        if (options.MaxConnectionBufferBytes < 4L * options.MaxDataBytes)
        {
            failures.Add($"Push:Limits:MaxConnectionBufferBytes ({options.MaxConnectionBufferBytes}) must be at least 4 x Push:Limits:MaxDataBytes ({4L * options.MaxDataBytes}).");
        }
        if (options.MaxDataBytes > options.MaxRequestBodyBytes)
        {
            failures.Add($"Push:Limits:MaxDataBytes ({options.MaxDataBytes}) must not exceed Push:Limits:MaxRequestBodyBytes ({options.MaxRequestBodyBytes}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
