using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace PushService.Auth;

/// <summary>
/// The configured publisher keys, held only as SHA-256 digests (configured as plain keys or as
/// their hashes), each with its name and scope.
/// </summary>
internal sealed class ApiKeyRing
{
    private readonly (byte[] Digest, string Name)[] _digests;
    private readonly Dictionary<string, KeyScope> _scopes;

    public ApiKeyRing(IOptions<ApiKeyOptions> options)
    {
        var keys = options.Value.ApiKeys;
        _digests = [.. keys.Select(k => (k.Hash.Length > 0 ? Convert.FromHexString(k.Hash) : Digest(k.Key), k.Name))];
        _scopes = keys.ToDictionary(k => k.Name, KeyScope.From, StringComparer.Ordinal);
    }

    /// <summary>The name of the key, or null when no configured key matches.</summary>
    public string? Find(string presented)
    {
        var digest = Digest(presented);
        string? match = null;
        // Every key is compared so the time taken does not say which one matched; comparing
        // digests, not keys, keeps the time independent of the key's length and prefix.
        foreach (var (keyDigest, name) in _digests)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, keyDigest))
            {
                match = name;
            }
        }
        return match;
    }

    /// <summary>What the authenticated publisher may do; nothing for anyone else.</summary>
    public KeyScope ScopeOf(ClaimsPrincipal user)
    {
        var identity = user.Identities.FirstOrDefault(i => i.IsAuthenticated && i.AuthenticationType == AuthPolicies.ApiKeyScheme);
        return identity?.Name is { } name && _scopes.TryGetValue(name, out var scope) ? scope : KeyScope.Nothing;
    }

    public static bool IsSha256Hex(string value) => value.Length == SHA256.HashSizeInBytes * 2 && value.All(char.IsAsciiHexDigit);

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
