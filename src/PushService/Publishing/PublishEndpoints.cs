using Microsoft.AspNetCore.Http.HttpResults;
using PushService.Auth;
using PushService.Diagnostics;
using PushService.History;

namespace PushService.Publishing;

internal static class PublishEndpoints
{
    /// <summary>Set on the answer to a publish whose id had already been accepted.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    private const string RetryAfterSeconds = "1";

    public static IEndpointRouteBuilder MapPublishEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/notifications")
            .RequireAuthorization(AuthPolicies.Publisher)
            .WithTags("Publishing")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/", PublishAsync)
            .WithName("Publish")
            .WithSummary("Publish one notification to users, topics or everyone.")
            .Accepts<PublishRequest>("application/json");

        group.MapPost("/batch", PublishBatchAsync)
            .WithName("PublishBatch")
            .WithSummary("Publish several notifications; results come back in request order.")
            .Accepts<List<PublishRequest>>("application/json");

        return app;
    }

    private static async Task<Results<Accepted<PublishResponse>, ProblemHttpResult>> PublishAsync(
        HttpContext http, PublishBodyReader reader, PublishRequestValidator validator, PublishAdmission admission, Publisher publisher, PushMetrics metrics, CancellationToken cancellationToken)
    {
        var (request, problem) = await reader.ReadAsync(http, PublishJsonContext.Default.PublishRequest, cancellationToken);
        if (problem is not null)
        {
            metrics.Published("rejected");
            return problem;
        }
        var errors = new PublishRequestValidator.Errors();
        var notification = validator.Validate(request, errors);
        if (notification is null)
        {
            metrics.Published("rejected");
            return Problems.FromValidation(errors);
        }
        if (admission.Admit(http, [request], batch: false) is { } refused)
        {
            return refused;
        }
        try
        {
            var accepted = await publisher.PublishAsync(notification, cancellationToken);
            if (accepted.Replayed)
            {
                http.Response.Headers[ReplayedHeader] = "true";
            }
            return TypedResults.Accepted((string?)null, new PublishResponse(accepted.Id, accepted.CreatedAt));
        }
        catch (StoreUnavailableException)
        {
            return Unavailable(http);
        }
    }

    private static async Task<Results<Accepted<BatchPublishResponse>, ProblemHttpResult>> PublishBatchAsync(
        HttpContext http, PublishBodyReader reader, PublishRequestValidator validator, PublishAdmission admission, Publisher publisher,
        Microsoft.Extensions.Options.IOptions<Configuration.LimitsOptions> limits, PushMetrics metrics, CancellationToken cancellationToken)
    {
        var (requests, problem) = await reader.ReadAsync(http, PublishJsonContext.Default.ListPublishRequest, cancellationToken);
        if (problem is not null)
        {
            metrics.Published("rejected");
            return problem;
        }
        var maxBatch = limits.Value.MaxBatchSize;
        if (requests is null || requests.Count == 0 || requests.Count > maxBatch)
        {
            metrics.Published("rejected", Math.Max(requests?.Count ?? 1, 1));
            return Problems.Invalid(
                new Dictionary<string, string[]> { ["$"] = [$"A batch must be a JSON array of 1 to {maxBatch} notifications; got {requests?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}."] },
                "The batch has the wrong number of notifications.");
        }
        // The whole batch is checked before anything is sent: a bad item sends nothing.
        var errors = new PublishRequestValidator.Errors();
        var notifications = new List<Notification>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (validator.Validate(requests[i], errors, $"[{i}].") is { } notification)
            {
                notifications.Add(notification);
            }
        }
        if (errors.Any)
        {
            metrics.Published("rejected", requests.Count);
            return Problems.FromValidation(errors);
        }
        if (admission.Admit(http, requests, batch: true) is { } refused)
        {
            return refused;
        }
        try
        {
            var accepted = await publisher.PublishBatchAsync(notifications, cancellationToken);
            return TypedResults.Accepted((string?)null, new BatchPublishResponse([.. accepted.Select(a => new PublishResponse(a.Id, a.CreatedAt))]));
        }
        catch (StoreUnavailableException)
        {
            return Unavailable(http);
        }
    }

    private static ProblemHttpResult Unavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds;
        return Problems.StoreUnavailable(RetryAfterSeconds);
    }
}
