using System.Text.RegularExpressions;

namespace PushService.Security;

/// <summary>
/// Removes secrets from text bound for logs: the value of an <c>access_token</c> query parameter
/// (browsers put the JWT in hub URLs), anything shaped like a JWT, and the value of the query
/// parameters a careless publisher might put its API key in (refused, but logged on the way in).
/// </summary>
internal static partial class SecretScrubber
{
    public const string Redacted = "[redacted]";

    /// <summary>A cheap test that rules out most text before any regex runs.</summary>
    public static bool MayContainSecret(string text) =>
        text.Contains("access", StringComparison.OrdinalIgnoreCase) || text.Contains("eyJ", StringComparison.Ordinal)
        || text.Contains("key=", StringComparison.OrdinalIgnoreCase);

    public static bool ContainsSecret(string text) =>
        MayContainSecret(text) && (AccessTokenParameter().IsMatch(text) || ApiKeyParameter().IsMatch(text) || JwtShape().IsMatch(text));

    public static string Scrub(string text) => MayContainSecret(text)
        ? JwtShape().Replace(ApiKeyParameter().Replace(AccessTokenParameter().Replace(text, "${name}" + Redacted), "${name}" + Redacted), Redacted)
        : text;

    // ASP.NET reads query keys case-insensitively and percent-decoded, so "ACCESS_TOKEN=" and
    // "access%5Ftoken=" carry a token as well. The value ends where the parameter does.
    [GeneratedRegex(@"(?<name>access(?:_|%5f)token=)[^&\s""'#<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AccessTokenParameter();

    // The parameters QueryStringKeyGuard refuses (api_key, apikey, x-api-key, key), as whole names.
    [GeneratedRegex(@"(?<=[?&])(?<name>(?:api(?:_|%5f)?key|x-api-key|key)=)[^&\s""'#<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ApiKeyParameter();

    // A JWS: base64url of a JSON header ('{"' encodes as "eyJ"), a payload, a signature.
    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant)]
    private static partial Regex JwtShape();
}
