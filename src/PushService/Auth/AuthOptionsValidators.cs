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
            failures.Add("Push:ApiKeys must list at least one publisher key (Push:ApiKeys:0:Name and Push:ApiKeys:0:Key).");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (string.IsNullOrWhiteSpace(key.Name))
            {
                failures.Add($"Push:ApiKeys:{i}:Name must not be empty.");
            }
            else if (!names.Add(key.Name))
            {
                failures.Add($"Push:ApiKeys:{i}:Name '{key.Name}' is used by another key.");
            }
            if (key.Key.Length < MinKeyLength)
            {
                failures.Add($"Push:ApiKeys:{i}:Key must be at least {MinKeyLength} characters.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
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
        if (hasAuthority && (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http")))
        {
            failures.Add("Push:Jwt:Authority must be an absolute http(s) URL.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
