using System.Text.Json;
using System.Text.Json.Serialization;

namespace PushService.Publishing;

/// <summary>The body of <c>POST /api/v1/notifications</c> and one item of a batch, as sent.</summary>
public sealed record PublishRequest
{
    /// <summary>What happened, e.g. <c>email.new</c>. Required.</summary>
    public string? Type { get; init; }

    /// <summary>User ids (token <c>sub</c>) to notify.</summary>
    public List<string?>? Users { get; init; }

    /// <summary>Topics to notify.</summary>
    public List<string?>? Topics { get; init; }

    /// <summary>Send to every connection.</summary>
    public bool? Broadcast { get; init; }

    /// <summary>Any JSON value, handed to the app as is.</summary>
    public JsonElement? Data { get; init; }

    /// <summary>The publisher's id for this notification; generated when absent.</summary>
    public string? Id { get; init; }
}

/// <summary>What a publisher learns about an accepted notification.</summary>
public sealed record PublishResponse(string Id, DateTime CreatedAt);

/// <summary>The results of a batch, in request order.</summary>
public sealed record BatchPublishResponse(IReadOnlyList<PublishResponse> Items);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(PublishRequest))]
[JsonSerializable(typeof(List<PublishRequest?>))]
[JsonSerializable(typeof(PublishResponse))]
[JsonSerializable(typeof(BatchPublishResponse))]
internal sealed partial class PublishJsonContext : JsonSerializerContext;
