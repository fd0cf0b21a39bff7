using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushService.Redis;

namespace PushService.Diagnostics;

/// <summary>Ready means this node can deliver what any node accepts: with Redis, the backplane receives.</summary>
internal sealed class ReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var backplane = services.GetService<BackplaneMonitor>();
        return Task.FromResult(backplane is null || backplane.IsHealthy
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The Redis backplane is not receiving."));
    }
}
