namespace PushService.Auth;

/// <summary>Subscriber token validation, bound from <c>Push:Jwt</c>.</summary>
public sealed class JwtOptions
{
    public const string SectionName = "Push:Jwt";

    /// <summary>The longest <see cref="ClockSkew"/> accepted at start-up.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Signature algorithms an <see cref="Authority"/>'s tokens may use when <see cref="Algorithms"/> is empty,
    /// and the only ones it may list: asymmetric only, so a public key can never be used as an HMAC secret.
    /// </summary>
    public static readonly IReadOnlyList<string> AsymmetricAlgorithms =
        ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    /// <summary>HS256 key (UTF-8, at least 32 bytes) for simple set-ups. Either this or <see cref="Authority"/>.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>
    /// Expected <c>iss</c>. With <see cref="Authority"/>, empty means the issuer of its discovery document;
    /// with <see cref="SigningKey"/>, empty means not checked (a warning at start-up outside Development).
    /// </summary>
    public string Issuer { get; set; } = "";

    /// <summary>Expected <c>aud</c>. Required with <see cref="Authority"/>; with <see cref="SigningKey"/>, empty means not checked (a warning at start-up outside Development).</summary>
    public string Audience { get; set; } = "";

    /// <summary>OIDC authority whose discovery document and JWKS sign tokens (production set-ups). https, or http on loopback only.</summary>
    public string Authority { get; set; } = "";

    /// <summary>
    /// Algorithms accepted from <see cref="Authority"/>, for example <c>["RS256"]</c>. Default (empty): the RS, PS and ES
    /// families. Symmetric algorithms and <c>none</c> are refused. <see cref="SigningKey"/> tokens are always HS256 only.
    /// </summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>Tolerance for clocks that disagree when checking <c>exp</c> and <c>nbf</c>. Default 30 s, at most 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = MaxClockSkew;

    internal IReadOnlyList<string> EffectiveAlgorithms => Algorithms.Count > 0 ? Algorithms : AsymmetricAlgorithms;
}
