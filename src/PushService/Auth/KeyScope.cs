using PushService.Publishing;

namespace PushService.Auth;

/// <summary>
/// What one publisher key may do (<c>Push:ApiKeys:N:Types</c>, <c>:Topics</c>, <c>:Users</c>,
/// <c>:Broadcast</c>, <c>:ReadHistory</c>, <c>:ReadPresence</c>). A grant list that is not
/// configured allows everything; one that is allows only what its names and <c>prefix*</c>
/// patterns cover.
/// </summary>
internal sealed record KeyScope(
    string Name,
    IReadOnlyList<string>? Types,
    IReadOnlyList<string>? Topics,
    bool Users,
    bool Broadcast,
    bool ReadHistory,
    bool ReadPresence)
{
    public static readonly KeyScope Nothing = new("", [], [], false, false, false, false);

    /// <summary>Whether the key may publish every notification (the default): nothing to check per item.</summary>
    public bool PublishesAnything => Types is null && Topics is null && Users && Broadcast;

    public static KeyScope From(ApiKey key) => new(key.Name, key.Types, key.Topics, key.Users, key.Broadcast, key.ReadHistory, key.ReadPresence);

    /// <summary>A name, or a prefix followed by one <c>*</c> at the end (<c>*</c> alone covers everything).</summary>
    public static bool IsValidPattern(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern) || pattern.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return false;
        }
        var star = pattern.IndexOf('*', StringComparison.Ordinal);
        return star < 0 || star == pattern.Length - 1;
    }

    /// <summary>Whether a grant list covers a value; case-sensitive, as names are.</summary>
    public static bool Covers(IReadOnlyList<string>? grants, string value)
    {
        if (grants is null)
        {
            return true;
        }
        foreach (var grant in grants)
        {
            if (TopicPolicy.Covers(grant, value))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Adds an error for each part of a valid request this key may not publish, keyed by the
    /// field's path as validation errors are (<paramref name="prefix"/> is <c>[3].</c> in a batch).
    /// </summary>
    public void CheckPublish(PublishRequest request, PublishRequestValidator.Errors errors, string prefix = "")
    {
        if (!Covers(Types, request.Type!))
        {
            errors.Add(prefix + "type", $"This key may not publish notifications of type '{request.Type}'.");
        }
        if (!Users && request.Users is { Count: > 0 })
        {
            errors.Add(prefix + "users", "This key may not address users.");
        }
        for (var i = 0; request.Topics is not null && i < request.Topics.Count; i++)
        {
            if (!Covers(Topics, request.Topics[i]!))
            {
                errors.Add($"{prefix}topics[{i}]", $"This key may not publish to topic '{request.Topics[i]}'.");
            }
        }
        if (!Broadcast && request.Broadcast == true)
        {
            errors.Add(prefix + "broadcast", "This key may not broadcast.");
        }
    }
}
