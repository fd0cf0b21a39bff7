namespace PushService.Auth;

internal static class AuthPolicies
{
    /// <summary>Backend services holding an API key.</summary>
    public const string Publisher = "publisher";

    /// <summary>Apps holding a subscriber JWT with a <c>sub</c>.</summary>
    public const string Subscriber = "subscriber";

    public const string ApiKeyScheme = "ApiKey";
    public const string ApiKeyHeader = "X-Api-Key";

    public const string SubjectClaim = "sub";
    public const string TopicsClaim = "topics";
}
