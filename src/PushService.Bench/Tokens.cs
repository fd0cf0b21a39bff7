using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PushService.Bench;

/// <summary>HS256 subscriber tokens: <c>sub</c> is the user, <c>topics</c> what it may join.</summary>
internal sealed class Tokens(string signingKey)
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256);

    public string For(string user, params string[] topics)
    {
        var claims = new List<Claim> { new("sub", user) };
        claims.AddRange(topics.Select(t => new Claim("topics", t)));
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            NotBefore = DateTime.UtcNow.AddMinutes(-1),
            IssuedAt = DateTime.UtcNow.AddMinutes(-1),
            Expires = DateTime.UtcNow.AddHours(2),
            SigningCredentials = _credentials,
        });
    }
}
