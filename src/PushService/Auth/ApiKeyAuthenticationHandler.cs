using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PushService.Auth;

/// <summary>
/// Authenticates publishers by the <c>X-Api-Key</c> header. Keys are compared as SHA-256
/// digests in constant time, so neither the key's length nor its prefix leaks through timing.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRing keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(AuthPolicies.ApiKeyHeader, out var values) || values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var name = keys.Find(values[0]!);
        if (name is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var missing = !Request.Headers.ContainsKey(AuthPolicies.ApiKeyHeader);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = AuthPolicies.ApiKeyScheme;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "API key required",
                Detail = missing
                    ? $"Send a publisher key in the {AuthPolicies.ApiKeyHeader} header."
                    : $"The key in the {AuthPolicies.ApiKeyHeader} header is not known.",
            },
        });
    }
}

/// <summary>The configured publisher keys, held as SHA-256 digests.</summary>
internal sealed class ApiKeyRing
{
    private readonly (byte[] Digest, string Name)[] _keys;

    public ApiKeyRing(IOptions<ApiKeyOptions> options)
    {
        _keys = [.. options.Value.ApiKeys.Select(k => (Digest(k.Key), k.Name))];
    }

    /// <summary>The name of the key, or null when no configured key matches.</summary>
    public string? Find(string presented)
    {
        var digest = Digest(presented);
        string? match = null;
        // Every key is compared so the time taken does not say which one matched.
        foreach (var (keyDigest, name) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, keyDigest))
            {
                match = name;
            }
        }
        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
