using System.Text;
using Microsoft.Extensions.Options;

namespace PushService.Auth;

internal sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    internal const int MinKeyLength = 16;

    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var failures = new List<string>();
        if (options.ApiKeys.Count == 0)
        {
            failures.Add("Push:ApiKeys must list at least one publisher key (Push:ApiKeys:0:Name, and Push:ApiKeys:0:Key or Push:ApiKeys:0:Hash).");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var setting = $"Push:ApiKeys:{i}";
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"{setting}:Name must not be empty.");
            }
            else if (!names.Add(key.Name))
            {
                failures.Add($"{setting}:Name '{key.Name}' is used by another key.");
            }
            ValidateSecret(key, setting, failures);
            ValidatePatterns(key.Types, $"{setting}:Types", failures);
            ValidatePatterns(key.Topics, $"{setting}:Topics", failures);
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Messages name the setting, never its value: a secret must not reach the start-up log.
    private static void ValidateSecret(ApiKey key, string setting, List<string> failures)
    {
        var hasKey = key.Key.Length > 0;
        var hasHash = key.Hash.Length > 0;
        if (hasKey == hasHash)
        {
            failures.Add($"{setting} must set exactly one of {setting}:Key (the key) or {setting}:Hash (its SHA-256 in hex).");
        }
        else if (hasKey && key.Key.Length < MinKeyLength)
        {
            failures.Add($"{setting}:Key must be at least {MinKeyLength} characters.");
        }
        else if (hasHash && !ApiKeyRing.IsSha256Hex(key.Hash))
        {
            failures.Add($"{setting}:Hash must be a SHA-256 digest as 64 hex digits (printf %s \"$KEY\" | sha256sum).");
        }
    }

    private static void ValidatePatterns(List<string>? patterns, string setting, List<string> failures)
    {
        for (var i = 0; patterns is not null && i < patterns.Count; i++)
        {
            if (!KeyScope.IsValidPattern(patterns[i]))
            {
                failures.Add($"{setting}:{i} must be a name or a prefix pattern ending in * (no spaces, * only at the end).");
            }
        }
    }
}

internal sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    internal const int MinSigningKeyBytes = 32;

    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var failures = new List<string>();
        var hasKey = options.SigningKey.Length > 0;
        var hasAuthority = options.Authority.Length > 0;
        if (!hasKey && !hasAuthority)
        {
            failures.Add("Push:Jwt:SigningKey or Push:Jwt:Authority must be set to validate subscriber tokens.");
        }
        if (hasKey && Encoding.UTF8.GetByteCount(options.SigningKey) < MinSigningKeyBytes)
        {
            failures.Add($"Push:Jwt:SigningKey must be at least {MinSigningKeyBytes} bytes for HS256.");
        }
        if (hasKey && hasAuthority)
        {
            failures.Add("Push:Jwt:SigningKey and Push:Jwt:Authority are both set: configure one way of signing subscriber tokens.");
        }
        if (hasAuthority)
        {
            ValidateAuthority(options, failures);
        }
        else if (options.Algorithms.Any(a => a != "HS256"))
        {
            failures.Add("Push:Jwt:Algorithms applies to Push:Jwt:Authority; Push:Jwt:SigningKey tokens are always HS256.");
        }
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > JwtOptions.MaxClockSkew)
        {
            failures.Add($"Push:Jwt:ClockSkew must be between 00:00:00 and {JwtOptions.MaxClockSkew:c}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateAuthority(JwtOptions options, List<string> failures)
    {
        // Metadata and keys over plain http could be swapped by anyone on the path: only a loopback
        // authority (a local identity provider, the tests) may use http.
        if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority)
            || !(authority.Scheme == Uri.UriSchemeHttps || (authority.Scheme == Uri.UriSchemeHttp && authority.IsLoopback)))
        {
            failures.Add("Push:Jwt:Authority must be an absolute https URL (http only on loopback).");
        }
        // An identity provider signs tokens for many APIs: without an audience, a token issued for any
        // of them would open this one.
        if (options.Audience.Length == 0)
        {
            failures.Add("Push:Jwt:Audience is required with Push:Jwt:Authority.");
        }
        foreach (var algorithm in options.Algorithms)
        {
            if (!JwtOptions.AsymmetricAlgorithms.Contains(algorithm, StringComparer.Ordinal))
            {
                failures.Add($"Push:Jwt:Algorithms: '{algorithm}' is not allowed; use {string.Join(", ", JwtOptions.AsymmetricAlgorithms)}.");
            }
        }
    }
}
