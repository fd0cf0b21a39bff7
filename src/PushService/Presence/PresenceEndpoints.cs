using Microsoft.AspNetCore.Http.HttpResults;
using PushService.Auth;
using PushService.Delivery;
using PushService.History;

namespace PushService.Presence;

/// <summary>Backends ask whether users are connected anywhere in the cluster.</summary>
internal static class PresenceEndpoints
{
    public const int MaxQueryUsers = 1000;

    internal sealed record UserPresence(string User, bool Online, int Connections);

    internal sealed record PresenceQuery(List<string?>? Users);

    internal sealed record PresenceQueryResult(IReadOnlyList<UserPresence> Users);

    public static IEndpointRouteBuilder MapPresenceEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/users")
            .RequireAuthorization(AuthPolicies.Publisher)
            .RequireKeyScope(scope => scope.ReadPresence, "read presence", nameof(ApiKey.ReadPresence))
            .WithTags("Presence")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapGet("/{user}/presence", GetAsync).WithName("Presence").WithSummary("Whether a user is connected, and on how many connections.");
        group.MapPost("/presence/query", QueryAsync).WithName("PresenceQuery").WithSummary($"Presence of up to {MaxQueryUsers} users at once.");
        return app;
    }

    private static async Task<Results<Ok<UserPresence>, ProblemHttpResult>> GetAsync(string user, IPresenceStore presence, HttpContext http, CancellationToken cancellationToken)
    {
        if (!NameRules.IsValidUserId(user))
        {
            return Invalid(new() { ["user"] = [$"A user id must be {NameRules.UserIdRule}."] });
        }
        var result = await CountAsync(presence, [user], http, cancellationToken);
        return result is null ? Unavailable() : TypedResults.Ok(result[0]);
    }

    private static async Task<Results<Ok<PresenceQueryResult>, ProblemHttpResult>> QueryAsync(PresenceQuery? query, IPresenceStore presence, HttpContext http, CancellationToken cancellationToken)
    {
        var users = query?.Users;
        if (users is null || users.Count is 0 or > MaxQueryUsers)
        {
            return Invalid(new() { ["users"] = [$"Give 1 to {MaxQueryUsers} user ids."] });
        }
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < users.Count; i++)
        {
            if (!NameRules.IsValidUserId(users[i]))
            {
                errors[$"users[{i}]"] = [$"A user id must be {NameRules.UserIdRule}."];
            }
        }
        if (errors.Count > 0)
        {
            return Invalid(errors);
        }
        var result = await CountAsync(presence, [.. users.Select(u => u!)], http, cancellationToken);
        return result is null ? Unavailable() : TypedResults.Ok(new PresenceQueryResult(result));
    }

    private static async Task<List<UserPresence>?> CountAsync(IPresenceStore presence, List<string> users, HttpContext http, CancellationToken cancellationToken)
    {
        try
        {
            var counts = await presence.CountAsync(users, cancellationToken);
            return [.. users.Select((user, i) => new UserPresence(user, counts[i] > 0, counts[i]))];
        }
        catch (StoreUnavailableException)
        {
            http.Response.Headers.RetryAfter = "1";
            return null;
        }
    }

    private static ProblemHttpResult Invalid(Dictionary<string, string[]> errors) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest, title: "Invalid presence request", detail: "One or more user ids are not valid.",
        extensions: new Dictionary<string, object?> { ["errors"] = errors });

    private static ProblemHttpResult Unavailable() => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Presence unavailable", detail: "Presence cannot be read right now; retry shortly.");
}
