namespace PushService.Security;

/// <summary>
/// The logger factory every component gets (ASP.NET Core hosting, Kestrel, SignalR, ours): it wraps
/// the framework's factory so that no log event reaches any provider with a subscriber token in it.
/// Hosting logs "Request starting … ?access_token=…" before any middleware runs, so the request
/// cannot be cleaned in time; the log events can.
/// </summary>
internal sealed class ScrubbingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new ScrubbingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}
