using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace PushService.Publishing;

/// <summary>The problem details a publisher can receive (docs/PROTOCOL.md §1, Errors).</summary>
internal static class Problems
{
    public static ProblemHttpResult UnsupportedMediaType(string? contentType) => TypedResults.Problem(
        statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "Unsupported media type",
        detail: $"The body must be JSON sent as Content-Type: application/json; got '{contentType ?? "none"}'.");

    public static ProblemHttpResult BodyTooLarge(long maxBytes) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large",
        detail: $"The body may be at most {maxBytes} bytes.");

    public static ProblemHttpResult StoreUnavailable(string retryAfterSeconds) => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Notification store unavailable",
        detail: $"The notification could not be stored, so it was not accepted. Retry after {retryAfterSeconds} s with the same id.");

    public static ProblemHttpResult OutOfScope(string keyName, PublishRequestValidator.Errors errors) => TypedResults.Problem(
        statusCode: StatusCodes.Status403Forbidden,
        title: "Not allowed for this key",
        detail: $"The API key '{keyName}' may not publish what `errors` names; nothing was published.",
        extensions: new Dictionary<string, object?> { ["errors"] = errors.ToDictionary() });

    public static ProblemHttpResult RateLimited(string keyName, int count, long retryAfterSeconds) => TypedResults.Problem(
        statusCode: StatusCodes.Status429TooManyRequests,
        title: "Publish rate limit reached",
        detail: $"The API key '{keyName}' is over its publish rate on this node; these {count} notification(s) were not published. Retry after {retryAfterSeconds} s.");

    public static ProblemHttpResult MalformedJson(JsonException ex)
    {
        var field = FieldOf(ex.Path);
        var where = ex.LineNumber is { } line ? $" (line {line + 1}, byte {ex.BytePositionInLine + 1})" : "";
        var message = ex.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? "This field is not part of a notification."
            : ex.Path is null || ex.Path == "$" ? $"The body is not valid JSON{where}." : $"The value has the wrong type or is not valid JSON{where}.";
        return Invalid(new Dictionary<string, string[]> { [field] = [message] }, "The body could not be read as a notification.");
    }

    public static ProblemHttpResult Invalid(Dictionary<string, string[]> errors, string detail) => TypedResults.Problem(
        statusCode: StatusCodes.Status400BadRequest,
        title: "Invalid notification",
        detail: detail,
        extensions: new Dictionary<string, object?> { ["errors"] = errors });

    public static ProblemHttpResult FromValidation(PublishRequestValidator.Errors errors) => errors.OnlyTooLarge
        ? TypedResults.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Notification data too large",
            detail: "The data of a notification is over the configured limit.",
            extensions: new Dictionary<string, object?> { ["errors"] = errors.ToDictionary() })
        : Invalid(errors.ToDictionary(), "One or more fields are not valid.");

    /// <summary>"$.users[0]" → "users[0]", "$[3].type" → "[3].type"; the root stays "$".</summary>
    private static string FieldOf(string? path) => path switch
    {
        null or "" or "$" => "$",
        _ when path.StartsWith("$.", StringComparison.Ordinal) => path[2..],
        _ when path.StartsWith('$') => path[1..],
        _ => path,
    };
}
