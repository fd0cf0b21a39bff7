using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// Records every log event of a node at Trace, from every category, as the text a provider would
/// write: the formatted message, each structured value, every scope, and the exception.
/// </summary>
public sealed class LogRecorder : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider? _scopes;

    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Text);

    public IReadOnlyList<Entry> Entries => [.. _entries];

    /// <summary>Adds the recorder to a node's builder (see <see cref="PushNode.StartAsync"/>), everything at Trace.</summary>
    public void AddTo(WebApplicationBuilder builder)
    {
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter(_ => true);
        builder.Services.AddSingleton<ILoggerProvider>(this);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogRecorder recorder, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => recorder._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(" | ").Append(key).Append('=').Append(value);
                }
            }
            recorder._scopes?.ForEachScope((scope, builder) =>
            {
                builder.Append(" | scope: ").Append(scope);
                foreach (var (key, value) in scope as IEnumerable<KeyValuePair<string, object?>> ?? [])
                {
                    builder.Append(" | ").Append(key).Append('=').Append(value);
                }
            }, text);
            if (exception is not null)
            {
                text.Append(" | exception: ").Append(exception);
            }
            recorder._entries.Enqueue(new Entry(category, logLevel, eventId, text.ToString()));
        }
    }
}
