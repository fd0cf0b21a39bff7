using Microsoft.Extensions.Diagnostics.HealthChecks;
using PushService.Fanout;
using PushService.Redis;

namespace PushService.Diagnostics;

/// <summary>
/// Ready means this node can deliver what any node accepts: with Redis, the backplane receives
/// and the fan-out channel is subscribed.
/// </summary>
internal sealed class ReadinessCheck(IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<BackplaneMonitor>() is { IsHealthy: false })
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The Redis backplane is not receiving."));
        }
        if (services.GetService<RedisFanoutBus>() is { IsSubscribed: false })
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The fan-out channel is not subscribed yet."));
        }
        return Task.FromResult(HealthCheckResult.Healthy());
    }
}
