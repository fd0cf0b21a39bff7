namespace PushService.Lifecycle;

/// <summary>The <c>Push:Drain</c> section: how a node leaves the cluster on SIGTERM.</summary>
public sealed class DrainOptions
{
    public const string SectionName = "Push:Drain";

    /// <summary>
    /// How long a stopping node waits for its clients to move and its publishes to finish before
    /// it closes what is left and exits. Default 30 s; give the orchestrator a little more
    /// (Kubernetes <c>terminationGracePeriodSeconds</c>).
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the node reports unready before it asks clients to reconnect, so load balancers
    /// stop sending new connections first. Default 0 s (nginx's passive checks need none);
    /// a few seconds behind Kubernetes Services.
    /// </summary>
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;
}
