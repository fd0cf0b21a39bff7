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
        if (options.MaxDataBytes > options.MaxRequestBodyBytes)
        {
            failures.Add($"Push:Limits:MaxDataBytes ({options.MaxDataBytes}) must not exceed Push:Limits:MaxRequestBodyBytes ({options.MaxRequestBodyBytes}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
