namespace PushService.Auth;

/// <summary>Publisher keys, bound from <c>Push:ApiKeys</c> (<c>Push:ApiKeys:N:Name</c>, <c>Push:ApiKeys:N:Key</c> or <c>:Hash</c>, scopes).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The keys accepted at once; several allow rotation. At least one is required.</summary>
    public List<ApiKey> ApiKeys { get; set; } = [];
}

/// <summary>One publisher key and what it may do. A key with only a name and a secret may do everything.</summary>
public sealed class ApiKey
{
    /// <summary>Names the publisher in logs and answers; never the key itself. Unique.</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret in plain text, at least 16 characters. Either this or <see cref="Hash"/>.</summary>
    public string Key { get; set; } = "";

    /// <summary>The SHA-256 of the secret's UTF-8 bytes as 64 hex digits (<c>printf %s "$KEY" | sha256sum</c>). Either this or <see cref="Key"/>.</summary>
    public string Hash { get; set; } = "";

    /// <summary>Notification types the key may publish: names or <c>prefix*</c> patterns (<c>email.*</c>). Default (unset): every type.</summary>
    public List<string>? Types { get; set; }

    /// <summary>Topics the key may publish to: names or <c>prefix*</c> patterns. Default (unset): every topic.</summary>
    public List<string>? Topics { get; set; }

    /// <summary>Whether the key may address users directly. Default true.</summary>
    public bool Users { get; set; } = true;

    /// <summary>Whether the key may broadcast to every connection. Default true, so keys configured before scopes existed keep working.</summary>
    public bool Broadcast { get; set; } = true;

    /// <summary>Whether the key may read users' stored notifications. Default true.</summary>
    public bool ReadHistory { get; set; } = true;

    /// <summary>Whether the key may read presence. Default true.</summary>
    public bool ReadPresence { get; set; } = true;

    /// <summary>This key's publish rate, overriding <c>Push:RateLimits:Publish</c> where set.</summary>
    public KeyRateLimit RateLimit { get; set; } = new();
}

/// <summary>A per-key override of the publish rate limit; unset values come from <c>Push:RateLimits:Publish</c>.</summary>
public sealed class KeyRateLimit
{
    /// <summary>Notifications per second this key may publish on one node.</summary>
    public int? PermitsPerSecond { get; set; }

    /// <summary>Notifications this key may publish at once after being idle.</summary>
    public int? Burst { get; set; }
}
