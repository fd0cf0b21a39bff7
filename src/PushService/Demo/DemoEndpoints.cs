using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushService.Auth;
using PushService.Delivery;
using PushService.Protocol;

namespace PushService.Demo;

/// <summary>
/// The demo page and the endpoints that serve it: the development API key and subscriber tokens
/// minted on request. Mapped in Development only — anywhere else they would hand anyone a key.
/// </summary>
internal static class DemoEndpoints
{
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(8);

    public static WebApplication MapDemo(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            return app;
        }
        app.UseDefaultFiles();
        app.UseStaticFiles();
        var group = app.MapGroup("/demo").ExcludeFromDescription();
        group.MapGet("/config", Config);
        group.MapPost("/token", Token);
        return app;
    }

    internal sealed record DemoConfig(string ApiKey, string HubPath);

    internal sealed record DemoTokenRequest(string? User, List<string>? Topics);

    internal sealed record DemoToken(string Token, DateTime ExpiresAt);

    private static Ok<DemoConfig> Config(IOptions<ApiKeyOptions> keys)
        => TypedResults.Ok(new DemoConfig(keys.Value.ApiKeys[0].Key, HubProtocolNames.HubPath));

    private static Results<Ok<DemoToken>, ProblemHttpResult> Token(DemoTokenRequest request, IOptions<JwtOptions> jwt, TimeProvider time)
    {
        if (jwt.Value.SigningKey.Length == 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Demo tokens unavailable",
                detail: "Demo tokens need Push:Jwt:SigningKey; this node validates tokens from Push:Jwt:Authority.");
        }
        if (!NameRules.IsValidUserId(request.User))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid user", detail: $"The user id must be {NameRules.UserIdRule}.");
        }
        var now = time.GetUtcNow().UtcDateTime;
        var claims = new List<Claim> { new(AuthPolicies.SubjectClaim, request.User!) };
        claims.AddRange((request.Topics ?? []).Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => new Claim(AuthPolicies.TopicsClaim, t.Trim())));
        var descriptor = new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + TokenLifetime,
            Issuer = jwt.Value.Issuer.Length > 0 ? jwt.Value.Issuer : null,
            Audience = jwt.Value.Audience.Length > 0 ? jwt.Value.Audience : null,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.Value.SigningKey)), SecurityAlgorithms.HmacSha256),
        };
        return TypedResults.Ok(new DemoToken(new JsonWebTokenHandler().CreateToken(descriptor), now + TokenLifetime));
    }
}
