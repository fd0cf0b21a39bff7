using Microsoft.Net.Http.Headers;
using PushService.Protocol;

namespace PushService.Security;

/// <summary>
/// Refuses hub requests (negotiate, WebSocket upgrade, Server-Sent Events, long polling) from browser
/// pages of origins that are not allowed, with 403: a WebSocket is not covered by CORS, so without
/// this any web site could open one with a token it got hold of, or ride on a user's cookies
/// (cross-site WebSocket hijacking). Requests without an Origin header (native clients) pass.
/// </summary>
internal sealed class OriginGate(OriginPolicy policy, IProblemDetailsService problems, ILogger<OriginGate> logger) : IMiddleware
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0
            && context.Request.Path.StartsWithSegments(HubProtocolNames.HubPath)
            && !policy.IsAllowed(origin, context.Request.Host.Value))
        {
            SecurityLog.OriginRefused(logger, origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.Headers[HeaderNames.Vary] = HeaderNames.Origin;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status403Forbidden,
                    Title = "Origin not allowed",
                    Detail = $"Pages of '{origin}' may not connect to this service; the operator lists allowed origins in Push:AllowedOrigins.",
                },
            });
            return;
        }
        await next(context);
    }
}
