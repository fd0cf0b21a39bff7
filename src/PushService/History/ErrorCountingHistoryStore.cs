using PushService.Diagnostics;

namespace PushService.History;

/// <summary>
/// Counts the Redis store's failures (<c>push.redis.errors</c>, operation <c>append</c> or
/// <c>read</c>) for every caller at once — publishes, Resume, History, Subscribe and the REST
/// history — and passes everything else through unchanged.
/// </summary>
internal sealed class ErrorCountingHistoryStore(IHistoryStore inner, PushMetrics metrics) : IHistoryStore
{
    public Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, CancellationToken cancellationToken = default)
        => CountedAsync(inner.AppendAsync(stream, entry, cancellationToken), "append");

    public Task<AppendResult> AppendAsync(string stream, HistoryEntry entry, LivePush? push, CancellationToken cancellationToken = default)
        => CountedAsync(inner.AppendAsync(stream, entry, push, cancellationToken), "append");

    public Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken = default)
        => CountedAsync(inner.GetPositionAsync(stream, cancellationToken), "read");

    public Task<RecoveryResult> ReadSinceAsync(string stream, StreamPosition since, int limit, CancellationToken cancellationToken = default)
        => CountedAsync(inner.ReadSinceAsync(stream, since, limit, cancellationToken), "read");

    public Task<HistoryPage> ReadBeforeAsync(string stream, long? beforeOffset, int limit, CancellationToken cancellationToken = default)
        => CountedAsync(inner.ReadBeforeAsync(stream, beforeOffset, limit, cancellationToken), "read");

    // A caller that gave up (cancelled) is not a Redis error: the store throws
    // StoreUnavailableException only for Redis itself.
    private async Task<T> CountedAsync<T>(Task<T> operation, string name)
    {
        try
        {
            return await operation.ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            metrics.RedisError(name);
            throw;
        }
    }
}
