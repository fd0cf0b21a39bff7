using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using PushService.Protocol;

namespace PushService.Auth;

internal static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddPushAuth(this IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration(Configuration.PushOptions.SectionName).ValidateOnStart();
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidator>();
        services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        services.AddSingleton<ApiKeyRing>();

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AuthPolicies.ApiKeyScheme, configureOptions: null)
            .AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>>((bearer, jwt) => ConfigureBearer(bearer, jwt.Value));

        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Publisher, policy => policy
                .AddAuthenticationSchemes(AuthPolicies.ApiKeyScheme)
                .RequireAuthenticatedUser())
            .AddPolicy(AuthPolicies.Subscriber, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireClaim(AuthPolicies.SubjectClaim));
        return services;
    }

    private static void ConfigureBearer(JwtBearerOptions bearer, JwtOptions jwt)
    {
        // Keep claim names as issued ("sub", "topics") rather than mapped to WS-* URIs.
        bearer.MapInboundClaims = false;
        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            NameClaimType = AuthPolicies.SubjectClaim,
            // With an authority, an unset issuer is taken from its discovery document (still checked).
            ValidateIssuer = jwt.Issuer.Length > 0 || jwt.Authority.Length > 0,
            ValidIssuer = jwt.Issuer.Length > 0 ? jwt.Issuer : null,
            ValidateAudience = jwt.Audience.Length > 0,
            ValidAudience = jwt.Audience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = jwt.ClockSkew,
        };
        if (jwt.SigningKey.Length > 0)
        {
            bearer.TokenValidationParameters.IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwt.SigningKey));
            bearer.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        if (jwt.Authority.Length > 0)
        {
            bearer.Authority = jwt.Authority;
            // The validator allows http only for a loopback authority (tests, a local provider).
            bearer.RequireHttpsMetadata = !jwt.Authority.StartsWith("http:", StringComparison.OrdinalIgnoreCase);
            bearer.TokenValidationParameters.ValidAlgorithms = [.. jwt.EffectiveAlgorithms];
        }
        bearer.Events = new JwtBearerEvents
        {
            // Browsers cannot set headers on WebSocket and EventSource requests, so the hub
            // (and only the hub) also reads the token from the query string.
            OnMessageReceived = context =>
            {
                var token = context.Request.Query["access_token"];
                if (!string.IsNullOrEmpty(token) && context.HttpContext.Request.Path.StartsWithSegments(HubProtocolNames.HubPath))
                {
                    context.Token = token;
                }
                return Task.CompletedTask;
            },
            // The user id is the subject: a token without one is not a subscriber's (401, not 403).
            OnTokenValidated = context =>
            {
                if (string.IsNullOrWhiteSpace(context.Principal?.FindFirst(AuthPolicies.SubjectClaim)?.Value))
                {
                    context.Fail("The token has no 'sub' claim.");
                }
                return Task.CompletedTask;
            },
        };
    }
}
