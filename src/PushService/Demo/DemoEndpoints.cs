using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushService.Auth;
using PushService.Delivery;
using PushService.History;
using PushService.Protocol;
using PushService.Publishing;

namespace PushService.Demo;

/// <summary>
/// The demo app (wwwroot, built on the TypeScript SDK) and the endpoints behind it: subscriber
/// tokens minted on request and a publish endpoint that needs no API key, so the key never
/// reaches the browser. Mapped in Development, or in another non-Production environment (a shared
/// staging demo) when <c>Push:Demo:Enabled</c> is true (<c>false</c> turns it off in Development
/// too). It lets anyone who reaches the node sign in as any user and publish, so a Production node
/// refuses to start with it on.
/// </summary>
internal static class DemoEndpoints
{
    public const string EnabledKey = "Push:Demo:Enabled";

    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(8);

    public static WebApplication MapDemo(this WebApplication app)
    {
        var isDevelopment = app.Environment.IsDevelopment();
        if (!(app.Configuration.GetValue<bool?>(EnabledKey) ?? isDevelopment))
        {
            return app;
        }
        if (app.Environment.IsProduction())
        {
            throw new OptionsValidationException(EnabledKey, typeof(bool),
                [$"{EnabledKey} is true in Production. The demo mints subscriber tokens for any user and publishes without an API key, "
                    + "so it never runs in Production: remove the setting, or run the demo node under another environment name (e.g. Staging)."]);
        }
        if (!isDevelopment)
        {
            DemoLog.EnabledOutsideDevelopment(app.Logger);
        }
        app.UseDefaultFiles();
        app.UseStaticFiles();
        var group = app.MapGroup("/demo").ExcludeFromDescription();
        group.MapGet("/config", Config);
        group.MapPost("/token", Token);
        group.MapPost("/publish", PublishAsync);
        return app;
    }

    internal sealed record DemoConfig(string HubPath);

    internal sealed record DemoTokenRequest(string? User, List<string>? Topics);

    internal sealed record DemoToken(string Token, DateTime ExpiresAt);

    private static Ok<DemoConfig> Config() => TypedResults.Ok(new DemoConfig(HubProtocolNames.HubPath));

    /// <summary>The REST publish (same body, rules and answers) without an API key: the demo's publish form.</summary>
    private static async Task<Results<Accepted<PublishResponse>, ProblemHttpResult>> PublishAsync(
        HttpContext http, PublishBodyReader reader, PublishRequestValidator validator, Publisher publisher, CancellationToken cancellationToken)
    {
        var (request, problem) = await reader.ReadAsync(http, PublishJsonContext.Default.PublishRequest, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var errors = new PublishRequestValidator.Errors();
        if (validator.Validate(request, errors) is not { } notification)
        {
            return Problems.FromValidation(errors);
        }
        try
        {
            var accepted = await publisher.PublishAsync(notification, cancellationToken);
            return TypedResults.Accepted((string?)null, new PublishResponse(accepted.Id, accepted.CreatedAt));
        }
        catch (StoreUnavailableException)
        {
            return Problems.StoreUnavailable("1");
        }
    }

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
