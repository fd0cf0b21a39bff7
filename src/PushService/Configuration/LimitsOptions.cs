namespace PushService.Configuration;

/// <summary>The <c>Push:Limits</c> section: bounds on what one request or connection may ask for.</summary>
public sealed class LimitsOptions
{
    public const string SectionName = "Push:Limits";

    /// <summary>Largest publish request body, in bytes. Default 4 MiB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest <c>data</c> of one notification, as UTF-8 JSON, in bytes. Default 64 KiB.</summary>
    public int MaxDataBytes { get; set; } = 64 * 1024;

    /// <summary>Most notifications in one batch request. Default 1,000.</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>Most users addressed by one notification. Default 1,000.</summary>
    public int MaxUsersPerNotification { get; set; } = 1000;

    /// <summary>Most topics addressed by one notification. Default 100.</summary>
    public int MaxTopicsPerNotification { get; set; } = 100;

    /// <summary>Most topics one hub connection may subscribe to. Default 100.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>Largest message a hub client may send, in bytes; a larger one closes the connection. Default 32 KiB.</summary>
    public long MaxHubMessageBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// Most hub connections one user (token <c>sub</c>) may hold; with Redis counted across the
    /// cluster through presence. Default 100.
    /// </summary>
    public int MaxConnectionsPerUser { get; set; } = 100;

    /// <summary>Hub invocations per second one connection may make on average (token bucket refill). Default 20.</summary>
    public double HubInvocationsPerSecond { get; set; } = 20;

    /// <summary>
    /// Hub invocations one connection may make at once after being idle (token bucket size).
    /// Default 120: an app may join all <see cref="MaxSubscriptionsPerConnection"/> topics right
    /// after connecting, one call each, and still resume.
    /// </summary>
    public int HubInvocationBurst { get; set; } = 120;

    /// <summary>
    /// Bytes the node buffers for one connection that the client has not read yet; a connection that
    /// falls this far behind is closed so it cannot hold back anyone else. Default 1 MiB.
    /// </summary>
    public long MaxConnectionBufferBytes { get; set; } = 1024 * 1024;
}
