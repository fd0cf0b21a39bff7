using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>
/// A minimal OpenID Connect issuer on loopback: a discovery document and a JWKS with one RSA key,
/// as an identity provider publishes them, and a way to sign tokens with that key.
/// </summary>
public sealed class TokensTestIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RSA _rsa;

    private TokensTestIssuer(WebApplication app, RSA rsa, Uri url)
    {
        _app = app;
        _rsa = rsa;
        Url = url;
        Key = new RsaSecurityKey(rsa) { KeyId = "test-key-1" };
    }

    /// <summary>The authority URL, also the <c>iss</c> of its tokens.</summary>
    public Uri Url { get; }

    public string Issuer => Url.ToString().TrimEnd('/');

    public RsaSecurityKey Key { get; }

    public static async Task<TokensTestIssuer> StartAsync()
    {
        var rsa = RSA.Create(2048);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TokensTestIssuer? issuer = null;
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer!.Issuer,
            ["jwks_uri"] = issuer.Issuer + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var parameters = rsa.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = issuer!.Key.KeyId,
                        ["n"] = Base64UrlEncoder.Encode(parameters.Modulus), ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                    },
                },
            });
        });
        await app.StartAsync().DefaultTimeout();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        issuer = new TokensTestIssuer(app, rsa, new Uri(address));
        return issuer;
    }

    /// <summary>A token for <paramref name="subject"/> signed by this issuer's RSA key (RS256 unless told).</summary>
    public string Sign(string subject, string audience, string algorithm = SecurityAlgorithms.RsaSha256, string? issuer = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            Issuer = issuer ?? Issuer,
            Audience = audience,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(Key, algorithm),
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().DefaultTimeout();
        await _app.DisposeAsync();
        _rsa.Dispose();
    }
}
