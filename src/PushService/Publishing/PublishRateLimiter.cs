using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using PushService.Auth;

namespace PushService.Publishing;

/// <summary>
/// One token bucket per API key name (the framework's <see cref="TokenBucketRateLimiter"/>,
/// partitioned as the ASP.NET Core rate-limiting middleware partitions). The publish endpoints
/// take permits themselves, after reading the body, because only then is a batch's size known:
/// a batch of 500 costs 500 permits. Each node counts for itself.
/// </summary>
internal sealed class PublishRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public PublishRateLimiter(IOptions<RateLimitOptions> defaults, IOptions<ApiKeyOptions> keys)
    {
        var byName = keys.Value.ApiKeys.ToDictionary(k => k.Name, k => k.RateLimit, StringComparer.Ordinal);
        var fallback = defaults.Value;
        _limiter = PartitionedRateLimiter.Create<string, string>(name =>
        {
            var own = byName.GetValueOrDefault(name);
            return RateLimitPartition.GetTokenBucketLimiter(name, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = own?.Burst ?? fallback.Burst,
                TokensPerPeriod = own?.PermitsPerSecond ?? fallback.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                // Over the limit is answered at once with Retry-After; nothing waits in a queue.
                QueueLimit = 0,
            });
        });
    }

    /// <summary>Takes <paramref name="count"/> permits from the key's bucket; null when granted, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string keyName, int count)
    {
        using var lease = _limiter.AttemptAcquire(keyName, count);
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose() => _limiter.Dispose();
}
