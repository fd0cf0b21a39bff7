using System.Collections;

namespace PushService.Security;

/// <summary>
/// Passes log events through unchanged unless one carries a token (in a value, the message or the
/// exception); that one is passed on with the token replaced, as structured values and message alike.
/// </summary>
internal sealed class ScrubbingLogger(ILogger inner) : ILogger
{
    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
        => HasSecret(state, exception: null, formatter: null) ? inner.BeginScope(ScrubbedState.From(state, state.ToString() ?? "")) : inner.BeginScope(state);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }
        if (!HasSecret(state, exception, formatter))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }
        var scrubbed = ScrubbedState.From(state, formatter(state, exception));
        var scrubbedException = exception is not null && SecretScrubber.ContainsSecret(exception.ToString()) ? new ScrubbedException(exception) : exception;
        inner.Log(logLevel, eventId, scrubbed, scrubbedException, static (s, _) => s.Message);
    }

    private static bool HasSecret<TState>(TState state, Exception? exception, Func<TState, Exception?, string>? formatter)
    {
        if (exception is not null && SecretScrubber.ContainsSecret(exception.ToString()))
        {
            return true;
        }
        if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            // Structured state: the message is built from these values and a constant template.
            for (var i = 0; i < values.Count; i++)
            {
                if (ValueHasSecret(values[i].Value))
                {
                    return true;
                }
            }
            return false;
        }
        return SecretScrubber.ContainsSecret(formatter is null ? state?.ToString() ?? "" : formatter(state, exception));
    }

    private static bool ValueHasSecret(object? value) => value switch
    {
        null => false,
        string text => SecretScrubber.ContainsSecret(text),
        // Numbers, times, ids and the like cannot hold a token; skip their formatting.
        ValueType when value.GetType().IsPrimitive || value is Enum or DateTime or DateTimeOffset or TimeSpan or Guid or decimal => false,
        IEnumerable items and not IFormattable => items.Cast<object?>().Any(ValueHasSecret),
        _ => SecretScrubber.ContainsSecret(value.ToString() ?? ""),
    };

    /// <summary>The event's values with secrets replaced, and its scrubbed message.</summary>
    private sealed class ScrubbedState(List<KeyValuePair<string, object?>> values, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = SecretScrubber.Scrub(message);

        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public static ScrubbedState From<TState>(TState state, string message)
        {
            var values = new List<KeyValuePair<string, object?>>();
            if (state is IReadOnlyList<KeyValuePair<string, object?>> original)
            {
                foreach (var (key, value) in original)
                {
                    values.Add(KeyValuePair.Create(key, ValueHasSecret(value) ? SecretScrubber.Scrub(FormatValue(value)) : value));
                }
            }
            return new ScrubbedState(values, message);
        }

        private static string FormatValue(object? value) => value switch
        {
            string text => text,
            IEnumerable items and not IFormattable => string.Join(", ", items.Cast<object?>()),
            _ => value?.ToString() ?? "",
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }

    /// <summary>Stands in for an exception whose text carried a secret: same type name, message and stack, scrubbed.</summary>
    private sealed class ScrubbedException(Exception original)
        : Exception($"{original.GetType().FullName}: {SecretScrubber.Scrub(original.Message)}")
    {
        private readonly string _text = SecretScrubber.Scrub(original.ToString());

        public override string? StackTrace => null;

        public override string ToString() => _text;
    }
}
