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
}
