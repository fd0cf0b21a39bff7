using System.Text.Json;

namespace PushService.Client;

/// <summary>
/// A notification received from PushService.
/// </summary>
/// <remarks>
/// Exactly one of <see cref="User"/>, <see cref="Topic"/> and <see cref="IsBroadcast"/> names the
/// stream the notification came through. A connection that receives the same notification through
/// several streams (for example addressed to the user and published to a subscribed topic) gets one
/// <see cref="Notification"/> per stream, all with the same <see cref="Id"/>.
/// <para>
/// Within a stream the client hands each notification to the app exactly once, in
/// <see cref="Offset"/> order, across reconnects: see <see cref="PushClient.Positions"/> and
/// <see cref="PushClient.RecoveryFailed"/>.
/// </para>
/// </remarks>
public sealed record Notification
{
    /// <summary>Gets the notification id, unique per published notification.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the notification type, for example <c>email.new</c>.</summary>
    public required string Type { get; init; }

    /// <summary>
    /// Gets the published data. When the publisher sent no data this is a JSON <c>null</c>
    /// (<see cref="JsonValueKind.Null"/>).
    /// </summary>
    public JsonElement Data { get; init; }

    /// <summary>Gets the time the service accepted the notification, in UTC.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets the user id when the notification came through this user's stream; otherwise <see langword="null"/>.</summary>
    public string? User { get; init; }

    /// <summary>Gets the topic when the notification came through a topic stream; otherwise <see langword="null"/>.</summary>
    public string? Topic { get; init; }

    /// <summary>Gets a value indicating whether the notification was broadcast to every connection.</summary>
    public bool IsBroadcast { get; init; }

    /// <summary>
    /// Gets the stream the notification belongs to: <c>user:{id}</c>, <c>topic:{name}</c> or
    /// <c>broadcast</c>. Empty when the service sent none (a service older than stream positions).
    /// </summary>
    public string Stream { get; init; } = "";

    /// <summary>Gets the notification's place in its <see cref="Stream"/>: 1, 2, 3… with no gaps within an <see cref="Epoch"/>.</summary>
    public long Offset { get; init; }

    /// <summary>Gets the stream's epoch when the notification was stored; it changes when the stream's history is lost.</summary>
    public string Epoch { get; init; } = "";

    /// <summary>
    /// Deserializes <see cref="Data"/> to <typeparamref name="T"/>.
    /// </summary>
    /// <typeparam name="T">The type to deserialize to.</typeparam>
    /// <param name="options">
    /// The serializer options. The default is <see cref="JsonSerializerOptions.Web"/>
    /// (camelCase names, case-insensitive matching).
    /// </param>
    /// <returns>The data, or <see langword="default"/> when <see cref="Data"/> is JSON <c>null</c>.</returns>
    /// <exception cref="JsonException">The data is not a valid <typeparamref name="T"/>.</exception>
    public T? GetData<T>(JsonSerializerOptions? options = null)
        => Data.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
            ? default
            : Data.Deserialize<T>(options ?? JsonSerializerOptions.Web);
}
