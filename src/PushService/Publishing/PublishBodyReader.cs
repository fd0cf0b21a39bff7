using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using PushService.Configuration;

namespace PushService.Publishing;

/// <summary>
/// Reads a publish body itself rather than through parameter binding, so that every way a body
/// can be wrong — media type, size, syntax, shape — is answered with its own problem details.
/// </summary>
internal sealed class PublishBodyReader(IOptions<LimitsOptions> limits)
{
    public async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        var request = http.Request;
        if (!request.HasJsonContentType())
        {
            return (default, Problems.UnsupportedMediaType(request.ContentType));
        }
        var maxBytes = limits.Value.MaxRequestBodyBytes;
        if (request.ContentLength > maxBytes)
        {
            return (default, Problems.BodyTooLarge(maxBytes));
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = maxBytes;
        }
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, cancellationToken).ConfigureAwait(false);
            return (value, null);
        }
        catch (JsonException ex)
        {
            return (default, Problems.MalformedJson(ex));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, Problems.BodyTooLarge(maxBytes));
        }
    }
}
