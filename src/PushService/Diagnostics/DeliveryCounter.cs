using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using PushService.Protocol;

namespace PushService.Diagnostics;

/// <summary>
/// Counts notifications written to each connection — the deliveries SignalR's fan-out makes,
/// which it has no hook for. A connection middleware wraps the transport's writer; SignalR writes
/// each serialised message with one <c>WriteAsync</c>, and a notification is recognised by its
/// target name near the start of the frame (JSON and MessagePack alike). The bytes pass untouched.
/// </summary>
internal static class DeliveryCounter
{
    private static readonly byte[] Target = Encoding.ASCII.GetBytes(HubProtocolNames.NotificationTarget);

    // The target follows the type and headers in both protocols' invocation frames.
    private const int TargetWithin = 48;

    public static IConnectionBuilder UseDeliveryCounter(this IConnectionBuilder connections, PushMetrics metrics)
        => connections.Use(next => connection =>
        {
            connection.Transport = new CountingPipe(connection.Transport, metrics);
            return next(connection);
        });

    private sealed class CountingPipe(IDuplexPipe inner, PushMetrics metrics) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;

        public PipeWriter Output { get; } = new CountingWriter(inner.Output, metrics);
    }

    private sealed class CountingWriter(PipeWriter inner, PushMetrics metrics) : PipeWriter
    {
        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            var head = source.Span[..Math.Min(source.Length, TargetWithin)];
            if (head.IndexOf(Target) >= 0)
            {
                metrics.Delivered();
            }
            return inner.WriteAsync(source, cancellationToken);
        }

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
