namespace PushService.Auth;

/// <summary>Subscriber token validation, bound from <c>Push:Jwt</c>.</summary>
public sealed class JwtOptions
{
    public const string SectionName = "Push:Jwt";

    /// <summary>HS256 key (UTF-8, at least 32 bytes) for simple set-ups. Either this or <see cref="Authority"/>.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>Expected <c>iss</c>; not checked when empty.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>Expected <c>aud</c>; not checked when empty.</summary>
    public string Audience { get; set; } = "";

    /// <summary>OIDC authority whose discovery document and JWKS sign tokens (production set-ups).</summary>
    public string Authority { get; set; } = "";
}
