using Microsoft.Extensions.Options;
using PushService.Delivery;

namespace PushService.Presence;

/// <summary>Renews this node's presence leases every third of the lease, so live connections never lapse.</summary>
internal sealed class PresenceRenewal(
    IPresenceStore presence,
    LocalConnections connections,
    IOptions<PresenceOptions> options,
    TimeProvider time,
    ILogger<PresenceRenewal> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Lease / 3, time);
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await presence.RenewAsync(connections.Users(), stoppingToken).ConfigureAwait(false);
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Logged once per outage; the next tick tries again.
                if (!failing)
                {
                    PresenceLog.RenewalFailed(logger, ex);
                }
                failing = true;
            }
        }
    }
}
