using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace PushService.Security;

/// <summary>Browser origins, TLS defaults and secret-free logs.</summary>
internal static class SecurityServiceExtensions
{
    public const string HubCorsPolicy = "hub";

    public static WebApplicationBuilder AddPushSecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        // Every ILogger in the process comes from this factory, whatever provider the operator adds.
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new ScrubbingLoggerFactory(new LoggerFactory(
            sp.GetServices<ILoggerProvider>(),
            sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            sp.GetService<IOptions<LoggerFactoryOptions>>(),
            sp.GetService<IExternalScopeProvider>()))));

        // HTTPS endpoints come from Kestrel's own configuration (Kestrel:Endpoints:Https:Url and
        // :Certificate); whichever they are, TLS 1.0 and 1.1 are off.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13));

        services.AddOptions<OriginOptions>().BindConfiguration(Configuration.PushOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OriginOptions>, OriginOptionsValidator>());
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<OriginGate>();
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<OriginPolicy>((cors, origins) =>
        {
            // The REST API takes an API key header, never cookies: no credentials.
            cors.AddDefaultPolicy(policy => policy
                .SetIsOriginAllowed(origin => origins.IsAllowed(origin, requestHost: null))
                .AllowAnyHeader()
                .AllowAnyMethod());
            // The hub: browsers' SignalR clients send credentials by default (and the load balancer's
            // affinity cookie rides on them); the token itself is never a cookie.
            cors.AddPolicy(HubCorsPolicy, policy => policy
                .SetIsOriginAllowed(origin => origins.IsAllowed(origin, requestHost: null))
                .AllowAnyHeader()
                .WithMethods("GET", "POST")
                .AllowCredentials());
        });
        services.AddHostedService<SecurityStartupWarnings>();
        return builder;
    }

    /// <summary>CORS for the API and the hub, then the hub's own origin check (WebSockets are not CORS).</summary>
    public static WebApplication UsePushOrigins(this WebApplication app)
    {
        app.UseCors();
        app.UseMiddleware<OriginGate>();
        return app;
    }
}
