namespace PushService.Lifecycle;

/// <summary>The <c>Push:Drain</c> section: how a node leaves the cluster on SIGTERM.</summary>
public sealed class DrainOptions
{
    public const string SectionName = "Push:Drain";

    /// <summary>What the host allows the rest of shutdown once the drain is over.</summary>
    internal static readonly TimeSpan ShutdownAfterDrain = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest a stopping node drains, <see cref="Delay"/> included: unready, then clients asked
    /// to move, then waiting for them and for in-flight publishes; what is left is closed. The
    /// process is gone within this plus 5 s, so give the orchestrator more than that (Kubernetes
    /// <c>terminationGracePeriodSeconds</c>, Compose <c>stop_grace_period</c>). Default 30 s.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the node reports unready before it asks clients to reconnect, so load balancers
    /// stop sending new connections first. Part of <see cref="Timeout"/>, not added to it: clients
    /// then have Timeout − Delay to move. Default 0 s (nginx's passive checks need none); a few
    /// seconds behind Kubernetes Services.
    /// </summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;
}
