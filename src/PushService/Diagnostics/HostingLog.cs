namespace PushService.Diagnostics;

/// <summary>Hosting log events, ids 1300–1399.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(1300, LogLevel.Information, "PushService node {NodeId} started with the {Engine} engine, listening on {Urls}.")]
    public static partial void Started(ILogger logger, string nodeId, string engine, string urls);

    [LoggerMessage(1301, LogLevel.Information, "Development mode: demo app at {Url}/ ; publish with the header \"X-Api-Key: {ApiKey}\" (the key named {KeyName}).")]
    public static partial void DevelopmentKey(ILogger logger, string url, string apiKey, string keyName);

    [LoggerMessage(1303, LogLevel.Information, "Development mode: demo app at {Url}/ ; publish with the X-Api-Key header and one of the keys whose hashes are configured.")]
    public static partial void DevelopmentDemo(ILogger logger, string url);

    [LoggerMessage(1302, LogLevel.Warning, "Push:Redis is empty: this node runs alone, in memory. Nodes behind one load balancer must share a Redis, or notifications reach only the clients of the node that accepted them.")]
    public static partial void SingleNode(ILogger logger);
}
