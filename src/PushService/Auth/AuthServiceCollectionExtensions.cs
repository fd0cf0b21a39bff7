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
        services.AddOptions<ApiKeyOptions>().BindConfiguration(Configuration.PushOptions.SectionName)
            .PostConfigure<IConfiguration>(EmptyGrantsAllowNothing)
            .ValidateOnStart();
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidator>();
        services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        services.AddSingleton<ApiKeyRing>();
        services.AddSingleton<QueryStringKeyGuard>();
        // The host's request lines carry the query string, where a careless client may have put
        // its key (the guard refuses it, but only after the line is written): the scrubbing logger
        // factory (Security/) redacts those parameters. Headers are not logged by ASP.NET.

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

    // The binder leaves a list null for "Topics": [] (and for an empty environment variable)
    // exactly as for a missing setting, and null means "everything". An empty list configured on
    // purpose must allow nothing instead.
    private static void EmptyGrantsAllowNothing(ApiKeyOptions options, IConfiguration configuration)
    {
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var section = configuration.GetSection($"{Configuration.PushOptions.SectionName}:ApiKeys:{i}");
            if (key.Types is null && section.GetSection(nameof(ApiKey.Types)).Exists())
            {
                key.Types = [];
            }
            if (key.Topics is null && section.GetSection(nameof(ApiKey.Topics)).Exists())
            {
                key.Topics = [];
            }
        }
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
