using System.Text.Json.Serialization;
using PushService.Protocol;

namespace PushService.Client;

/// <summary>
/// A notification to publish: its type, its targets and its data.
/// </summary>
/// <remarks>
/// At least one target is required: <see cref="Users"/>, <see cref="Topics"/> or <see cref="Broadcast"/>.
/// <code>
/// new PublishRequest("email.new") { Users = ["alice"], Data = new { subject = "Hello" } }
/// </code>
/// </remarks>
public sealed class PublishRequest
{
    /// <summary>Initializes a new instance of the <see cref="PublishRequest"/> class.</summary>
    /// <param name="type">The notification type: 1–100 characters of <c>A-Z a-z 0-9 . _ : -</c>.</param>
    public PublishRequest(string type)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        Type = type;
    }

    /// <summary>Gets the notification type.</summary>
    [JsonPropertyName("type")]
    public string Type { get; }

    /// <summary>Gets the ids of the users to notify (the <c>sub</c> of their tokens). The default is none.</summary>
    [JsonPropertyName("users")]
    public IReadOnlyList<string>? Users { get; init; }

    /// <summary>Gets the topics to publish to. The default is none.</summary>
    [JsonPropertyName("topics")]
    public IReadOnlyList<string>? Topics { get; init; }

    /// <summary>Gets a value indicating whether to send the notification to every connection. The default is <see langword="false"/>.</summary>
    [JsonPropertyName("broadcast")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Broadcast { get; init; }

    /// <summary>
    /// Gets the data: any value, serialized with <see cref="System.Text.Json.JsonSerializerDefaults.Web"/>
    /// (camelCase). For other serializer settings pass a <see cref="System.Text.Json.JsonElement"/>
    /// made with <see cref="System.Text.Json.JsonSerializer.SerializeToElement{TValue}(TValue, System.Text.Json.JsonSerializerOptions?)"/>.
    /// The default is none.
    /// </summary>
    [JsonPropertyName("data")]
    public object? Data { get; init; }

    /// <summary>
    /// Gets the notification id: 1–128 characters of <c>A-Z a-z 0-9 . _ : -</c>. The default,
    /// <see langword="null"/>, lets <see cref="PushPublisher"/> generate a time-sortable one before
    /// the first attempt, so that its retries are recognised as the same notification. Set your
    /// own (an order id, say) to make your own retries — across restarts — safe too.
    /// </summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>This request with an id, so that a retry is recognised as the same notification.</summary>
    internal PublishRequest WithId() => Id is not null ? this : new PublishRequest(Type)
    {
        Users = Users,
        Topics = Topics,
        Broadcast = Broadcast,
        Data = Data,
        Id = SortableId.Next(),
    };
}
