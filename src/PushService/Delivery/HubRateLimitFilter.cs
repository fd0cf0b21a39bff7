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
/// bucket, ten times the first, refills — is told it is being closed and is closed at its next
/// call: it is abusing the node, not retrying politely.
/// </summary>
internal sealed class HubRateLimitFilter(IOptions<LimitsOptions> limits, TimeProvider time, PushMetrics metrics, ILogger<HubRateLimitFilter> logger) : IHubFilter
{
    private const int AbuseFactor = 10;
    private static readonly object BucketsKey = new();
    private static readonly object WarnedKey = new();

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var context = invocationContext.Context;
        if (context.Items.ContainsKey(WarnedKey))
        {
            // Told on its last call that it is being closed, and still calling.
            Close(context);
            throw HubErrors.RateLimited(limits.Value.HubInvocationsPerSecond, closing: true);
        }
        var (calls, refusals) = Buckets(context);
        if (!calls.TryTake())
        {
            metrics.RateLimited();
            var closing = !refusals.TryTake();
            if (closing)
            {
                LimitsLog.RateLimitAbuse(logger, context.ConnectionId, Subject.Of(context.User));
                // SignalR writes this error after the filter returns, so a close requested now
                // could overtake it: the close comes with the next call, which an abuser makes at
                // once, and this answer is sure to arrive first.
                context.Items[WarnedKey] = true;
            }
            throw HubErrors.RateLimited(limits.Value.HubInvocationsPerSecond, closing);
        }
        return await next(invocationContext);
    }

    private static void Close(HubCallerContext context)
    {
        // A requested close ends with a close message, which Abort() would cut off.
        if (context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
        {
            lifetime.RequestClose();
        }
        else
        {
            context.Abort();
        }
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
