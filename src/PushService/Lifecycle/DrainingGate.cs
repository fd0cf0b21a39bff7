using PushService.Protocol;

namespace PushService.Lifecycle;

/// <summary>While draining, new hub connections are refused with 503 so clients try another node.</summary>
internal sealed class DrainingGate(DrainState state, IProblemDetailsService problems) : IMiddleware
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        // Only negotiation and transport starts without a connection id are new connections;
        // requests of existing long-polling/SSE connections carry one and must still get through.
        if (state.IsDraining
            && context.Request.Path.StartsWithSegments(HubProtocolNames.HubPath)
            && !context.Request.Query.ContainsKey("id"))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = { Status = 503, Title = "Node draining", Detail = "This node is shutting down; connect to another one." },
            });
            return;
        }
        await next(context);
    }
}
