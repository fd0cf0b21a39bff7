using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using PushService.Configuration;
using PushService.Diagnostics;

namespace PushService.Delivery;

/// <summary>
/// Limits each connection's hub invocations to <c>Push:Limits:HubInvocationsPerSecond</c> with
/// bursts of <c>HubInvocationBurst</c>; over it, an invocation fails with <c>rate_limited</c>. A
/// connection that keeps going at more than ten times the rate — refused faster than a second
/// bucket, ten times the first, refills — is closed: it is abusing the node, not retrying politely.
/// </summary>
internal sealed class HubRateLimitFilter(IOptions<LimitsOptions> limits, TimeProvider time, PushMetrics metrics, ILogger<HubRateLimitFilter> logger) : IHubFilter
{
    private const int AbuseFactor = 10;
    private static readonly object BucketsKey = new();

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var context = invocationContext.Context;
        var (calls, refusals) = Buckets(context);
        if (!calls.TryTake())
        {
            metrics.RateLimited();
            var closing = !refusals.TryTake();
            if (closing)
            {
                LimitsLog.RateLimitAbuse(logger, context.ConnectionId, context.UserIdentifier);
                // A requested close ends with a close message, which Abort() would cut off. SignalR
                // writes this invocation's error after the filter returns, so the close may overtake it.
                if (context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
                {
                    lifetime.RequestClose();
                }
                else
                {
                    context.Abort();
                }
            }
            throw HubErrors.RateLimited(limits.Value.HubInvocationsPerSecond, closing);
        }
        return await next(invocationContext);
    }

    private (TokenBucket Calls, TokenBucket Refusals) Buckets(HubCallerContext context)
    {
        if (context.Items.TryGetValue(BucketsKey, out var existing))
        {
            return ((TokenBucket, TokenBucket))existing!;
        }
        var options = limits.Value;
        var buckets = (new TokenBucket(options.HubInvocationBurst, options.HubInvocationsPerSecond, time),
            new TokenBucket(AbuseFactor * options.HubInvocationBurst, AbuseFactor * options.HubInvocationsPerSecond, time));
        context.Items[BucketsKey] = buckets;
        return buckets;
    }
}
