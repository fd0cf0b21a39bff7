namespace PushService.Lifecycle;

/// <summary>Lifecycle log events, ids 1400–1499.</summary>
internal static partial class LifecycleLog
{
    [LoggerMessage(1400, LogLevel.Information, "Draining: unready, refusing new connections, asking {Connections} connections to reconnect elsewhere, {Publishes} publishes in flight; at most {TimeoutSeconds} s.")]
    public static partial void DrainStarted(ILogger logger, int connections, int publishes, double timeoutSeconds);

    [LoggerMessage(1401, LogLevel.Information, "Drained in {Seconds:F1} s: no connections, no publishes in flight.")]
    public static partial void Drained(ILogger logger, double seconds);

    [LoggerMessage(1402, LogLevel.Warning, "Drain time is up with {Connections} connections and {Publishes} publishes left; closing them.")]
    public static partial void DrainTimedOut(ILogger logger, int connections, int publishes);
}
