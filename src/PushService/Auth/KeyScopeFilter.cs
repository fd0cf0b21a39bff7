namespace PushService.Auth;

/// <summary>Refuses a publisher endpoint with 403 unless the calling key's scope allows it.</summary>
internal static class KeyScopeFilter
{
    /// <param name="allows">The scope flag that grants the endpoint.</param>
    /// <param name="action">What is refused, as in "may not {action}" (and the setting that grants it).</param>
    public static TBuilder RequireKeyScope<TBuilder>(this TBuilder builder, Func<KeyScope, bool> allows, string action, string setting)
        where TBuilder : IEndpointConventionBuilder
        => builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var scope = http.RequestServices.GetRequiredService<ApiKeyRing>().ScopeOf(http.User);
            if (allows(scope))
            {
                return await next(context);
            }
            ApiKeyLog.ReadOutOfScope(http.RequestServices.GetRequiredService<ILogger<KeyScope>>(), scope.Name, action);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Not allowed for this key",
                detail: $"The API key '{scope.Name}' may not {action} (Push:ApiKeys:N:{setting} is false).");
        });
}
