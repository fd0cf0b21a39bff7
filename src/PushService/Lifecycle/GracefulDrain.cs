using Microsoft.Extensions.Options;
using PushService.Delivery;

namespace PushService.Lifecycle;

/// <summary>
/// On SIGTERM, before SignalR closes every connection at once: turn unready, refuse new hub
/// connections, ask each client to reconnect (they go to another node and resume from their
/// positions), and wait for in-flight publishes — all within <see cref="DrainOptions.Timeout"/>,
/// the <see cref="DrainOptions.Delay"/> included: one deadline is simpler to size an orchestrator's
/// grace period by than a sum.
/// </summary>
/// <remarks>
/// SignalR closes its connections from an <c>ApplicationStopping</c> callback registered when the
/// hub is mapped. Stopping callbacks run last-registered first, so this one, registered when the
/// host starts, runs before it — and holds shutdown until the drain is over.
/// </remarks>
internal sealed class GracefulDrain(
    DrainState state,
    LocalConnections connections,
    IHostApplicationLifetime lifetime,
    IOptions<DrainOptions> options,
    TimeProvider time,
    ILogger<GracefulDrain> logger) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() => DrainAsync().GetAwaiter().GetResult());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    internal async Task DrainAsync()
    {
        var started = time.GetTimestamp();
        var timeout = options.Value.Timeout;
        state.BeginDraining();
        LifecycleLog.DrainStarted(logger, connections.Count, state.InFlightPublishes, timeout.TotalSeconds);
        using var deadline = new CancellationTokenSource(timeout, time);
        try
        {
            if (options.Value.Delay > TimeSpan.Zero)
            {
                await Task.Delay(options.Value.Delay, time, deadline.Token).ConfigureAwait(false);
            }
            connections.RequestCloseAll();
            await Task.WhenAll(connections.AllClosed(), state.PublishesDone()).WaitAsync(deadline.Token).ConfigureAwait(false);
            LifecycleLog.Drained(logger, time.GetElapsedTime(started).TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            LifecycleLog.DrainTimedOut(logger, connections.Count, state.InFlightPublishes);
        }
    }
}
