namespace PushService.Auth;

/// <summary>
/// Refuses any <c>/api</c> request that carries an API key in its query string, even when the
/// header holds one too: URLs end up in proxy logs, browser history and referrers, so such a key
/// must not work — the caller learns at once instead of leaking the key for months.
/// </summary>
internal sealed class QueryStringKeyGuard(IProblemDetailsService problems, ILogger<QueryStringKeyGuard> logger) : IMiddleware
{
    private static readonly string[] KeyParameters = ["api_key", "apikey", "key", "x-api-key"];

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments("/api") && FindKeyParameter(context.Request.Query) is { } parameter)
        {
            ApiKeyLog.QueryStringKeyRefused(logger, context.Request.Path, parameter);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "API key in the query string",
                    Detail = $"Send the API key in the {AuthPolicies.ApiKeyHeader} header, never in the URL. "
                        + $"The request was not processed. Query parameter '{parameter}' may have been logged on the way: rotate that key.",
                },
            });
            return;
        }
        await next(context);
    }

    private static string? FindKeyParameter(IQueryCollection query)
    {
        foreach (var name in query.Keys)
        {
            if (KeyParameters.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                return name;
            }
        }
        return null;
    }
}
