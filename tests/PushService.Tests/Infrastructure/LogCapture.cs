using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// A logger provider that keeps every entry of every category at every level, with all a provider
/// could write: the formatted message, each structured value, the active scopes (text and values)
/// and the exception. For asserting what a node writes, or never writes, to its logs. Add it with
/// <c>PushNode.StartAsync(..., configure: capture.AddTo)</c>.
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>One log call as written.</summary>
    /// <param name="Values">The structured values of the call (<c>{OriginalFormat}</c> included), as text.</param>
    /// <param name="Scopes">The active scopes, outermost first, each as its text and its values.</param>
    /// <param name="Exception">The exception with its message and stack, when there was one.</param>
    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyList<KeyValuePair<string, string?>> Values, IReadOnlyList<string> Scopes, string? Exception)
    {
        /// <summary>Everything this entry could show a reader, in one string.</summary>
        public string Text => string.Join('\n', [
            $"{Category}[{EventId.Id}] {Message}",
            .. Values.Select(v => $"{v.Key}={v.Value}"),
            .. Scopes,
            Exception ?? ""]);
    }

    public IReadOnlyList<Entry> Entries => [.. _entries];

    /// <summary>Adds this provider to a node's builder and lets everything through to it, Trace included.</summary>
    public void AddTo(WebApplicationBuilder builder)
    {
        builder.Logging.AddProvider(this).SetMinimumLevel(LogLevel.Trace);
        // A rule that matches every category and provider, so no other rule can raise a level.
        builder.Logging.AddFilter(_ => true);
    }

    /// <summary>The entries whose <see cref="Entry.Text"/> contains <paramref name="text"/> (ordinal, case-insensitive).</summary>
    public IReadOnlyList<Entry> Containing(string text) => [.. _entries.Where(e => e.Text.Contains(text, StringComparison.OrdinalIgnoreCase))];

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
            owner._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), ValuesOf(state), scopes, exception?.ToString()));
        }

        private static List<KeyValuePair<string, string?>> ValuesOf(object? state)
            => state is IEnumerable<KeyValuePair<string, object?>> pairs ? [.. pairs.Select(p => KeyValuePair.Create(p.Key, Format(p.Value)))] : [];

        // A collection value is written item by item by structured providers: so here too.
        private static string? Format(object? value) => value switch
        {
            null => null,
            string text => text,
            System.Collections.IEnumerable items => string.Join(", ", items.Cast<object?>()),
            _ => value.ToString(),
        };

        // A scope's ToString() is what most providers print; its key/value pairs are what
        // structured ones print: keep both.
        private static string Describe(object? scope) => scope switch
        {
            null => "",
            IEnumerable<KeyValuePair<string, object?>> pairs => $"{scope} {{{string.Join(", ", pairs.Select(p => $"{p.Key}={Format(p.Value)}"))}}}",
            _ => scope.ToString() ?? "",
        };
    }
}
