using Microsoft.AspNetCore.Http.HttpResults;
using PushService.Auth;
using PushService.Delivery;
using PushService.Protocol;

namespace PushService.History;

/// <summary>Backends read a user's stored notifications with their API key.</summary>
internal static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/users/{user}/notifications", ReadAsync)
            .RequireAuthorization(AuthPolicies.Publisher)
            .RequireKeyScope(scope => scope.ReadHistory, "read history", nameof(ApiKey.ReadHistory))
            .WithTags("History")
            .WithName("UserHistory")
            .WithSummary("A user's stored notifications, newest first.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<Results<Ok<HistoryPageMessage>, ProblemHttpResult>> ReadAsync(
        string user, long? before, int? limit, HistoryReader streams, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!NameRules.IsValidUserId(user))
        {
            errors["user"] = [$"A user id must be {NameRules.UserIdRule}."];
        }
        if (before is < 1)
        {
            errors["before"] = ["before must be at least 1."];
        }
        if (limit is < 1 or > HistoryReader.MaxPageSize)
        {
            errors["limit"] = [$"limit must be 1-{HistoryReader.MaxPageSize}."];
        }
        if (errors.Count > 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid history request",
                detail: "One or more parameters are not valid.", extensions: new Dictionary<string, object?> { ["errors"] = errors });
        }
        try
        {
            return TypedResults.Ok(await streams.PageAsync(Target.ForUser(user), before, limit ?? 50, cancellationToken));
        }
        catch (StoreUnavailableException)
        {
            http.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Notification store unavailable",
                detail: "The history cannot be read right now; retry shortly.");
        }
    }
}
