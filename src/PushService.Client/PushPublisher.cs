using System.Net;
using System.Collections.ObjectModel;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PushService.Client.Internal;

namespace PushService.Client;

/// <summary>
/// Publishes notifications through PushService's REST API; for backend services.
/// </summary>
/// <remarks>
/// Thread-safe. With dependency injection, register it with
/// <see cref="PushPublisherServiceCollectionExtensions.AddPushPublisher"/>; without, pass an
/// <see cref="HttpClient"/> that lives as long as the publisher. A failed publish may still have been
/// delivered (for example on a timeout): set <see cref="PublishRequest.Id"/> when retrying, so that
/// copies can be recognised by their id.
/// </remarks>
public sealed class PushPublisher
{
    private const string ApiKeyHeader = "X-Api-Key";
    private const string JsonMediaType = "application/json";

    private readonly HttpClient _httpClient;
    private readonly string _apiKey;
    private readonly Uri _publishUri;
    private readonly Uri _publishBatchUri;
    private readonly int _maxRetries;
    private readonly TimeSpan _maxRetryDelay;

    /// <summary>Initializes a new instance of the <see cref="PushPublisher"/> class.</summary>
    /// <param name="httpClient">The client to send requests with. Its <see cref="HttpClient.BaseAddress"/> is not used.</param>
    /// <param name="options">The publisher options.</param>
    /// <exception cref="ArgumentException">An option is missing or invalid.</exception>
    public PushPublisher(HttpClient httpClient, PushPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }
        _httpClient = httpClient;
        _apiKey = options.ApiKey!;
        _maxRetries = options.MaxRetries;
        _maxRetryDelay = options.MaxRetryDelay;

        // Relative URIs resolve against the base's last segment unless it ends with a slash.
        var baseAddress = options.BaseAddress!.AbsoluteUri;
        var root = new Uri(baseAddress.EndsWith('/') ? baseAddress : baseAddress + "/");
        _publishUri = new Uri(root, "api/v1/notifications");
        _publishBatchUri = new Uri(root, "api/v1/notifications/batch");
    }

    /// <summary>Initializes a new instance of the <see cref="PushPublisher"/> class; used by dependency injection.</summary>
    /// <param name="httpClient">The client to send requests with. Its <see cref="HttpClient.BaseAddress"/> is not used.</param>
    /// <param name="options">The publisher options.</param>
    /// <exception cref="ArgumentException">An option is missing or invalid.</exception>
    [ActivatorUtilitiesConstructor]
    public PushPublisher(HttpClient httpClient, IOptions<PushPublisherOptions> options)
        : this(httpClient, (options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <summary>Publishes one notification (<c>POST /api/v1/notifications</c>).</summary>
    /// <param name="request">The notification.</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The id and time the service accepted it with.</returns>
    /// <exception cref="PushApiException">The service rejected the request.</exception>
    /// <exception cref="HttpRequestException">The service could not be reached.</exception>
    public async Task<PublishResult> PublishAsync(PublishRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await PostAsync(_publishUri, request.WithId(), TypeInfo<PublishRequest>(), TypeInfo<PublishResult>(), cancellationToken)
            .ConfigureAwait(false);
        return result ?? throw new JsonException("The service accepted the notification but sent no result.");
    }

    /// <summary>
    /// Publishes several notifications in one request (<c>POST /api/v1/notifications/batch</c>).
    /// The service validates the batch as a whole: if one item is invalid, nothing is sent.
    /// </summary>
    /// <param name="requests">The notifications; at least one, at most the service's batch limit (1,000 by default).</param>
    /// <param name="cancellationToken">The token to monitor for cancellation requests.</param>
    /// <returns>The results, in request order.</returns>
    /// <exception cref="PushApiException">
    /// The service rejected the batch; <see cref="PushProblemDetails.Errors"/> names bad items by index, as in <c>[3].topics[0]</c>.
    /// </exception>
    /// <exception cref="HttpRequestException">The service could not be reached.</exception>
    public async Task<IReadOnlyList<PublishResult>> PublishBatchAsync(IEnumerable<PublishRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var items = requests.ToArray();
        if (items.Length == 0)
        {
            throw new ArgumentException("A batch needs at least one request.", nameof(requests));
        }
        if (Array.IndexOf(items, null) >= 0)
        {
            throw new ArgumentException("A batch must not contain null requests.", nameof(requests));
        }
        items = Array.ConvertAll(items, item => item.WithId());
        var response = await PostAsync(_publishBatchUri, items, TypeInfo<PublishRequest[]>(), TypeInfo<PublishBatchResponse>(), cancellationToken)
            .ConfigureAwait(false);
        return response?.Items ?? throw new JsonException("The service accepted the batch but sent no results.");
    }

    private async Task<TResponse?> PostAsync<TRequest, TResponse>(
        Uri uri, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        // Serialised once, up front: a known Content-Length instead of a chunked body, the same
        // bytes on every attempt, and a serialisation error before anything is sent.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await SendOnceAsync(uri, bytes, responseType, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < _maxRetries && IsTransient(ex, cancellationToken))
            {
                var retryAfter = (ex as PushApiException)?.RetryAfter;
                await Task.Delay(RetryDelay(attempt, retryAfter), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<TResponse?> SendOnceAsync<TResponse>(Uri uri, byte[] body, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(JsonMediaType);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        // Per request, not DefaultRequestHeaders: the HttpClient may be shared.
        request.Headers.Add(ApiKeyHeader, _apiKey);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonMediaType));

        using var response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await CreateExceptionAsync(response, cancellationToken).ConfigureAwait(false);
        }
        return await response.Content.ReadFromJsonAsync(responseType, cancellationToken).ConfigureAwait(false);
    }

    // What a retry with the same ids can mend: the service could not store it, the key was over
    // its rate limit, a proxy could not reach it, the connection failed, or the HttpClient timed
    // out (not the caller's cancellation).
    private static bool IsTransient(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        PushApiException api => api.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests
            or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout,
        HttpRequestException => true,
        TaskCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    private TimeSpan RetryDelay(int attempt, TimeSpan? retryAfter)
    {
        var backoff = TimeSpan.FromMilliseconds(200 * (1 << attempt) * (0.8 + (0.4 * Random.Shared.NextDouble())));
        var delay = retryAfter is { } told && told > TimeSpan.Zero ? told : backoff;
        return delay < _maxRetryDelay ? delay : _maxRetryDelay;
    }

    private static async Task<PushApiException> CreateExceptionAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        PushProblemDetails? problem = null;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && (mediaType.EndsWith("/problem+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase)))
        {
            try
            {
                var document = await response.Content.ReadFromJsonAsync(TypeInfo<ProblemDocument>(), cancellationToken).ConfigureAwait(false);
                problem = document is null ? null : ToProblemDetails(document);
            }
            catch (JsonException)
            {
                // Not a problem document after all; the status code still tells the story.
            }
        }
        return new PushApiException(response.StatusCode, problem, GetRetryAfter(response));
    }

    private static PushProblemDetails ToProblemDetails(ProblemDocument document) => new()
    {
        Type = document.Type,
        Title = document.Title,
        Status = document.Status,
        Detail = document.Detail,
        Instance = document.Instance,
        Errors = document.Errors is null
            ? ReadOnlyDictionary<string, string[]>.Empty
            : document.Errors.ToDictionary(e => e.Key, e => e.Value ?? [], StringComparer.Ordinal),
        Extensions = document.Extensions is null
            ? ReadOnlyDictionary<string, JsonElement>.Empty
            : document.Extensions,
    };

    private static TimeSpan? GetRetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > DateTimeOffset.UtcNow ? date - DateTimeOffset.UtcNow : TimeSpan.Zero,
        _ => null,
    };

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)PublisherJsonContext.PublisherOptions.GetTypeInfo(typeof(T));
}
