using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using PushService.Auth;
using PushService.Diagnostics;

namespace PushService.Publishing;

/// <summary>
/// Decides whether the calling key may publish a valid request: first its scope (403, free), then
/// its rate (429, one permit per notification). All or nothing, so a refused batch stores nothing.
/// </summary>
internal sealed class PublishAdmission(ApiKeyRing keys, PublishRateLimiter limiter, PushMetrics metrics, ILogger<PublishAdmission> logger)
{
    /// <param name="requests">Requests that passed validation.</param>
    /// <param name="batch">Whether the requests came as a batch: errors are then keyed <c>[i].field</c>.</param>
    public ProblemHttpResult? Admit(HttpContext http, IReadOnlyList<PublishRequest?> requests, bool batch)
    {
        var scope = keys.ScopeOf(http.User);
        var errors = new PublishRequestValidator.Errors();
        for (var i = 0; !scope.PublishesAnything && i < requests.Count; i++)
        {
            scope.CheckPublish(requests[i]!, errors, batch ? $"[{i}]." : "");
        }
        if (errors.Any)
        {
            var problem = Problems.OutOfScope(scope.Name, errors);
            ApiKeyLog.PublishOutOfScope(logger, scope.Name, string.Join(", ", errors.ToDictionary().Keys));
            metrics.Published("forbidden", requests.Count);
            return problem;
        }
        if (limiter.TryAcquire(scope.Name, requests.Count) is { } retryAfter)
        {
            // Whole seconds, rounded up: Retry-After has no fractions, and 0 would invite a hot loop.
            var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            RateLimitLog.Limited(logger, scope.Name, requests.Count, seconds);
            metrics.Published("limited", requests.Count);
            return Problems.RateLimited(scope.Name, requests.Count, seconds);
        }
        metrics.KeyPublished(scope.Name, requests.Count);
        return null;
    }
}
