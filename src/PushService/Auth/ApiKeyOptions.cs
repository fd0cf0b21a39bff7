namespace PushService.Auth;

/// <summary>Publisher keys, bound from <c>Push:ApiKeys</c> (<c>Push:ApiKeys:N:Name</c>, <c>Push:ApiKeys:N:Key</c>).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The keys accepted at once; several allow rotation. At least one is required.</summary>
    public List<ApiKey> ApiKeys { get; set; } = [];
}

/// <summary>One publisher key.</summary>
public sealed class ApiKey
{
    /// <summary>Names the publisher in logs; never the key itself.</summary>
    public string Name { get; set; } = "";

    /// <summary>The secret, at least 16 characters.</summary>
    public string Key { get; set; } = "";
}
