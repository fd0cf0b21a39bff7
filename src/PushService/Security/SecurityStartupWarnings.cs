using Microsoft.Extensions.Options;
using PushService.Auth;

namespace PushService.Security;

/// <summary>Says at start-up, outside Development, which protections the configuration leaves off.</summary>
internal sealed class SecurityStartupWarnings(
    IHostEnvironment environment,
    IOptions<JwtOptions> jwt,
    OriginPolicy origins,
    ILogger<SecurityStartupWarnings> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (environment.IsDevelopment())
        {
            return Task.CompletedTask;
        }
        // With an authority the issuer comes from its discovery document and the audience is required.
        if (jwt.Value.Authority.Length == 0)
        {
            if (jwt.Value.Issuer.Length == 0)
            {
                SecurityLog.IssuerNotChecked(logger);
            }
            if (jwt.Value.Audience.Length == 0)
            {
                SecurityLog.AudienceNotChecked(logger);
            }
        }
        if (origins.AllowsAny)
        {
            SecurityLog.AnyOriginAllowed(logger);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
