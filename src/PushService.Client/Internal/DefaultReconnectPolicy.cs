using Microsoft.AspNetCore.SignalR.Client;

namespace PushService.Client.Internal;

/// <summary>
/// Retries forever with capped backoff and jitter. Jitter matters more than the exact numbers:
/// when a server drains, all of its clients lose their connection at once and must not return in
/// lockstep.
/// </summary>
internal sealed class DefaultReconnectPolicy : IRetryPolicy
{
    private static readonly TimeSpan[] s_backoff =
    [
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(5),
        TimeSpan.FromSeconds(10),
    ];

    private static readonly TimeSpan s_firstMax = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_steadyMin = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_steadyMax = TimeSpan.FromSeconds(30);

    public TimeSpan? NextRetryDelay(RetryContext retryContext)
    {
        var attempt = retryContext.PreviousRetryCount;
        if (attempt == 0)
        {
            return s_firstMax * Random.Shared.NextDouble();
        }
        if (attempt <= s_backoff.Length)
        {
            return s_backoff[attempt - 1] * (0.8 + (0.4 * Random.Shared.NextDouble()));
        }
        return s_steadyMin + ((s_steadyMax - s_steadyMin) * Random.Shared.NextDouble());
    }
}
