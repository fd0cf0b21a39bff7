using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushService.Client.Internal;

/// <summary>The body of a successful batch publish.</summary>
internal sealed class PublishBatchResponse
{
    [JsonPropertyName("items")]
    public List<PublishResult>? Items { get; set; }
}

/// <summary>An RFC 7807 document as it arrives; mapped to the read-only <see cref="PushProblemDetails"/>.</summary>
internal sealed class ProblemDocument
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("title")]
    public string? Title { get; set; }

    [JsonPropertyName("status")]
    public int? Status { get; set; }

    [JsonPropertyName("detail")]
    public string? Detail { get; set; }

    [JsonPropertyName("instance")]
    public string? Instance { get; set; }

    [JsonPropertyName("errors")]
    public Dictionary<string, string[]>? Errors { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; set; }
}

/// <summary>Source-generated metadata for the publisher's own DTOs.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PublishRequest))]
[JsonSerializable(typeof(PublishRequest[]))]
[JsonSerializable(typeof(PublishResult))]
[JsonSerializable(typeof(PublishBatchResponse))]
[JsonSerializable(typeof(ProblemDocument))]
internal sealed partial class PublisherJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Web defaults, generated metadata for our DTOs, and reflection as the fallback for
    /// <see cref="PublishRequest.Data"/>, which can be any object.
    /// </summary>
    public static JsonSerializerOptions PublisherOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
            Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver()),
    };
}
