using System.Globalization;
using System.Net;
using System.Text;

namespace PushService.Client;

/// <summary>The service answered a publish request with an error status.</summary>
public sealed class PushApiException : Exception
{
    private const int MaxErrorsInMessage = 3;

    /// <summary>Initializes a new instance of the <see cref="PushApiException"/> class.</summary>
    /// <param name="statusCode">The HTTP status code of the response.</param>
    /// <param name="problem">The problem document of the response, if it had one.</param>
    /// <param name="retryAfter">The delay the <c>Retry-After</c> header asked for, if any.</param>
    public PushApiException(HttpStatusCode statusCode, PushProblemDetails? problem = null, TimeSpan? retryAfter = null)
        : base(BuildMessage(statusCode, problem))
    {
        StatusCode = statusCode;
        Problem = problem;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the HTTP status code of the response.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Gets the <c>application/problem+json</c> document of the response, or <see langword="null"/> if it had none.</summary>
    public PushProblemDetails? Problem { get; }

    /// <summary>
    /// Gets how long the service asked the caller to wait before retrying (the <c>Retry-After</c>
    /// header, typically with 429 or 503), or <see langword="null"/> if it did not say.
    /// </summary>
    public TimeSpan? RetryAfter { get; }

    private static string BuildMessage(HttpStatusCode statusCode, PushProblemDetails? problem)
    {
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"PushService returned {(int)statusCode} ({statusCode}).");
        if (!string.IsNullOrEmpty(problem?.Title))
        {
            message.Append(' ').Append(problem.Title);
        }
        if (!string.IsNullOrEmpty(problem?.Detail))
        {
            message.Append(' ').Append(problem.Detail);
        }
        if (problem is { Errors.Count: > 0 })
        {
            foreach (var (field, errors) in problem.Errors.Take(MaxErrorsInMessage))
            {
                message.Append(CultureInfo.InvariantCulture, $" [{field}: {string.Join(" ", errors)}]");
            }
            if (problem.Errors.Count > MaxErrorsInMessage)
            {
                message.Append(CultureInfo.InvariantCulture, $" (+{problem.Errors.Count - MaxErrorsInMessage} more)");
            }
        }
        return message.ToString();
    }
}
