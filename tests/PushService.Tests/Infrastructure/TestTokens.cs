using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PushService.Tests.Infrastructure;

/// <summary>Subscriber JWTs signed with the test nodes' key.</summary>
public static class TestTokens
{
    public static string For(string user, params string[] topics)
    {
        var claims = new List<Claim> { new("sub", user) };
        claims.AddRange(topics.Select(t => new Claim("topics", t)));
        return Create(new ClaimsIdentity(claims), DateTime.UtcNow.AddHours(1));
    }

    public static string Create(ClaimsIdentity subject, DateTime expires, string signingKey = PushNode.SigningKey) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = subject,
            NotBefore = DateTime.UtcNow.AddMinutes(-1),
            IssuedAt = DateTime.UtcNow.AddMinutes(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });

    /// <summary>
    /// A good token for <paramref name="user"/> (HS256 with the test key, valid from a minute ago for
    /// an hour) as <paramref name="change"/> leaves it: the way to make a bad one. Nothing is added
    /// that the descriptor lacks, so a token without <c>exp</c> is possible; without signing
    /// credentials it is unsigned (<c>alg: none</c>).
    /// </summary>
    public static string Build(string user, Action<SecurityTokenDescriptor>? change = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", user)]),
            NotBefore = DateTime.UtcNow.AddMinutes(-1),
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(PushNode.SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        change?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>For <see cref="Build"/>: no signature at all (<c>alg: none</c>).</summary>
    public static void WithoutSignature(SecurityTokenDescriptor token) => token.SigningCredentials = null;

    /// <summary>For <see cref="Build"/>: signed with a key the nodes do not know.</summary>
    public static void SignedWithAnotherKey(SecurityTokenDescriptor token)
        => token.SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-key-0123456789-0123456789-0123456789")), SecurityAlgorithms.HmacSha256);

    /// <summary>For <see cref="Build"/>: a name claim but no <c>sub</c>.</summary>
    public static void WithoutSubject(SecurityTokenDescriptor token)
        => token.Subject = new ClaimsIdentity(token.Subject.Claims.Select(c => c.Type == "sub" ? new Claim("name", c.Value) : c));
}
