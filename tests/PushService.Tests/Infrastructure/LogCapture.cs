using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// A logger provider that keeps every entry of every category at every level: the formatted
/// message, the exception (with its message and stack) and the active scopes. For asserting what
/// a node writes, or never writes, to its logs. Add it with
/// <c>PushNode.StartAsync(..., logging: capture.AddTo)</c>.
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>One log call as written.</summary>
    /// <param name="Scopes">The active scopes, each formatted with <c>ToString()</c>, outermost first.</param>
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, string? Exception, IReadOnlyList<string> Scopes)
    {
        /// <summary>Everything this entry could show a reader, in one string.</summary>
        public string AllText => string.Join('\n', [$"{Category}[{EventId.Id}] {Message}", Exception ?? "", .. Scopes]);
    }

    public IReadOnlyCollection<Entry> Entries => _entries;

    /// <summary>Adds this provider and lowers the minimum level to Trace, so nothing escapes it.</summary>
    public void AddTo(ILoggingBuilder logging) => logging.AddProvider(this).SetMinimumLevel(LogLevel.Trace);

    /// <summary>The entries whose message, exception or scopes contain <paramref name="text"/> (ordinal, case-insensitive).</summary>
    public IReadOnlyList<Entry> Containing(string text) => [.. _entries.Where(e => e.AllText.Contains(text, StringComparison.OrdinalIgnoreCase))];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<string>();
            owner._scopes.ForEachScope((scope, list) => list.Add(Describe(scope)), scopes);
            owner._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception?.ToString(), scopes));
        }

        // A scope's ToString() is what most providers print; its key/value pairs are what
        // structured ones print: keep both.
        private static string Describe(object? scope) => scope switch
        {
            null => "",
            IEnumerable<KeyValuePair<string, object?>> pairs => $"{scope} {{{string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))}}}",
            _ => scope.ToString() ?? "",
        };
    }
}
