using Microsoft.Extensions.Options;
using PushService.Auth;
using PushService.Configuration;

namespace PushService.Publishing;

/// <summary>
/// The <c>Push:RateLimits:Publish</c> section: how many notifications each API key may publish,
/// per node. A batch counts as its number of notifications.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Push:RateLimits:Publish";

    /// <summary>Notifications per second one key may publish on one node. Default 10,000: about what one node can store, so it stops a runaway publisher without throttling a busy one.</summary>
    public int PermitsPerSecond { get; set; } = 10_000;

    /// <summary>Notifications one key may publish at once after being idle (the bucket's size). Default 20,000.</summary>
    public int Burst { get; set; } = 20_000;
}

/// <summary>
/// Checks the default and every key's override. A batch takes its item count from the bucket at
/// once, so a burst smaller than the largest batch would refuse that batch for ever.
/// </summary>
/// <remarks>
/// The keys and limits are read from configuration, not from their validated options: a bad key
/// must fail start with its own message, not take this validator down with it.
/// </remarks>
internal sealed class RateLimitOptionsValidator(IConfiguration configuration) : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        var maxBatch = (configuration.GetSection(LimitsOptions.SectionName).Get<LimitsOptions>() ?? new LimitsOptions()).MaxBatchSize;
        Check(options.PermitsPerSecond, options.Burst, RateLimitOptions.SectionName, maxBatch, failures);
        var apiKeys = (configuration.GetSection(PushOptions.SectionName).Get<ApiKeyOptions>() ?? new ApiKeyOptions()).ApiKeys;
        for (var i = 0; i < apiKeys.Count; i++)
        {
            var own = apiKeys[i].RateLimit;
            if (own.PermitsPerSecond is not null || own.Burst is not null)
            {
                Check(own.PermitsPerSecond ?? options.PermitsPerSecond, own.Burst ?? options.Burst, $"Push:ApiKeys:{i}:RateLimit", maxBatch, failures);
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(int permitsPerSecond, int burst, string section, int maxBatch, List<string> failures)
    {
        if (permitsPerSecond <= 0)
        {
            failures.Add($"{section}:PermitsPerSecond must be greater than 0 (got {permitsPerSecond}).");
        }
        if (burst < maxBatch)
        {
            failures.Add($"{section}:Burst ({burst}) must be at least Push:Limits:MaxBatchSize ({maxBatch}): a batch counts as its notifications and must fit in one burst.");
        }
    }
}
