namespace PushService.Publishing;

/// <summary>Rate-limit log events, ids 1750–1799.</summary>
internal static partial class RateLimitLog
{
    // Debug: a publisher over its limit would otherwise write a line per refused request.
    [LoggerMessage(1750, LogLevel.Debug, "Key {KeyName} is over its publish rate; {Count} notification(s) refused, retry after {RetryAfterSeconds} s.")]
    public static partial void Limited(ILogger logger, string keyName, int count, long retryAfterSeconds);
}
