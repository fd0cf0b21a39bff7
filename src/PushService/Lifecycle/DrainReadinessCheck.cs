using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PushService.Lifecycle;

/// <summary>A draining node is not ready: load balancers and Kubernetes stop sending it clients.</summary>
internal sealed class DrainReadinessCheck(DrainState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(state.IsDraining ? HealthCheckResult.Unhealthy("The node is draining.") : HealthCheckResult.Healthy());
}
