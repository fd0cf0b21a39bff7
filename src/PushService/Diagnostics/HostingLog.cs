namespace PushService.Diagnostics;

/// <summary>Hosting log events, ids 1300–1399.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(1300, LogLevel.Information, "PushService node {NodeId} started with the {Engine} engine, listening on {Urls}.")]
    public static partial void Started(ILogger logger, string nodeId, string engine, string urls);

    [LoggerMessage(1301, LogLevel.Information, "Development mode: demo app at {Url}/ ; publish with the X-Api-Key header and the key named {KeyName} in appsettings.Development.json (keys are never logged).")]
    public static partial void DevelopmentKey(ILogger logger, string keyName, string url);

    [LoggerMessage(1302, LogLevel.Warning, "Push:Redis is empty: this node runs alone, in memory. Nodes behind one load balancer must share a Redis, or notifications reach only the clients of the node that accepted them.")]
    public static partial void SingleNode(ILogger logger);
}
