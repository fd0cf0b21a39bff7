namespace PushService.Demo;

/// <summary>Demo log events (hosting range, 1310–1319).</summary>
internal static partial class DemoLog
{
    [LoggerMessage(1310, LogLevel.Warning, "Push:Demo:Enabled is on outside Development: anyone who can reach this node can mint subscriber tokens at /demo/token and publish at /demo/publish. Use it only on a private network.")]
    public static partial void EnabledOutsideDevelopment(ILogger logger);
}
