using System.Collections.ObjectModel;
using System.Text.Json;

namespace PushService.Client;

/// <summary>
/// An RFC 7807 problem document returned by the service for a failed request.
/// </summary>
public sealed class PushProblemDetails
{
    /// <summary>Gets a URI reference that identifies the problem type.</summary>
    public string? Type { get; init; }

    /// <summary>Gets a short summary of the problem type.</summary>
    public string? Title { get; init; }

    /// <summary>Gets the HTTP status code.</summary>
    public int? Status { get; init; }

    /// <summary>Gets an explanation specific to this occurrence.</summary>
    public string? Detail { get; init; }

    /// <summary>Gets a URI reference that identifies this occurrence.</summary>
    public string? Instance { get; init; }

    /// <summary>
    /// Gets the validation errors: the JSON path of each bad field (<c>type</c>, <c>users[2]</c>,
    /// <c>[3].topics[0]</c>, <c>$</c>) mapped to messages. Empty when there are none.
    /// </summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; init; } = ReadOnlyDictionary<string, string[]>.Empty;

    /// <summary>Gets the other members of the document, such as <c>traceId</c>. Empty when there are none.</summary>
    public IReadOnlyDictionary<string, JsonElement> Extensions { get; init; } = ReadOnlyDictionary<string, JsonElement>.Empty;
}
