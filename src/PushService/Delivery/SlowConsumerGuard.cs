using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using PushService.Diagnostics;

namespace PushService.Delivery;

/// <summary>
/// Closes a connection whose client stopped reading, at once and without making anyone wait.
/// SignalR's fan-out awaits each connection's write (per message on the node, and per Redis
/// channel with the backplane), and a write waits whenever more than the transport's buffer
/// (<c>Push:Limits:MaxConnectionBufferBytes</c>) is unsent. This middleware wraps the transport's
/// writer: the first flush that cannot complete aborts the connection and reports success, so
/// the fan-out moves on; later writes to it are dropped. The client reconnects and resumes from
/// history, so it loses nothing either. A single send stuck with the buffer not yet full is
/// SignalR's own concern: its transport send timeout (10 s) closes that connection.
/// </summary>
internal static class SlowConsumerGuard
{
    public static IConnectionBuilder UseSlowConsumerGuard(this IConnectionBuilder connections, PushMetrics metrics, ILogger logger, long bufferBytes)
        => connections.Use(next => connection =>
        {
            connection.Transport = new GuardedPipe(connection, metrics, logger, bufferBytes);
            return next(connection);
        });

    private sealed class GuardedPipe(ConnectionContext connection, PushMetrics metrics, ILogger logger, long bufferBytes) : IDuplexPipe
    {
        public PipeReader Input { get; } = connection.Transport.Input;

        public PipeWriter Output { get; } = new GuardedWriter(connection, connection.Transport.Output, metrics, logger, bufferBytes);
    }

    private sealed class GuardedWriter(ConnectionContext connection, PipeWriter inner, PushMetrics metrics, ILogger logger, long bufferBytes) : PipeWriter
    {
        private static readonly ValueTask<FlushResult> Gone = new(new FlushResult(isCanceled: false, isCompleted: true));

        // Set once; then writes go to a scratch buffer and nowhere.
        private volatile bool _aborted;
        private byte[] _scratch = [];

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
            => _aborted ? Gone : Guard(inner.WriteAsync(source, cancellationToken));

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
            => _aborted ? Gone : Guard(inner.FlushAsync(cancellationToken));

        private ValueTask<FlushResult> Guard(ValueTask<FlushResult> flush)
        {
            if (flush.IsCompleted)
            {
                return flush;
            }
            // The buffer is full: the client has not read the last MaxConnectionBufferBytes.
            _aborted = true;
            metrics.SlowConsumer();
            LimitsLog.SlowConsumerAborted(logger, connection.ConnectionId, connection.Features.Get<IConnectionUserFeature>()?.User?.FindFirst(Auth.AuthPolicies.SubjectClaim)?.Value, bufferBytes);
            // The pending flush ends when the transport does; observe it so nothing goes unobserved.
            _ = Observe(flush);
            connection.Abort(new ConnectionAbortedException("The client stopped reading: its send buffer is full."));
            return Gone;
        }

        private static async Task Observe(ValueTask<FlushResult> flush)
        {
            try
            {
                await flush.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The connection is gone; whatever the transport says about it no longer matters.
            }
        }

        public override void Advance(int bytes)
        {
            if (!_aborted)
            {
                inner.Advance(bytes);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _aborted ? Scratch(sizeHint) : inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _aborted ? Scratch(sizeHint).Span : inner.GetSpan(sizeHint);

        private Memory<byte> Scratch(int sizeHint)
        {
            if (_scratch.Length < Math.Max(sizeHint, 256))
            {
                _scratch = new byte[Math.Max(sizeHint, 4096)];
            }
            return _scratch;
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => _aborted ? 0 : inner.UnflushedBytes;
    }
}
