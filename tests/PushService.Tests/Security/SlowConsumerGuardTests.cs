using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PushService.Delivery;
using PushService.Diagnostics;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Security;

/// <summary>The guard on a transport whose reader never reads: the writer is never made to wait.</summary>
public sealed class SlowConsumerGuardTests
{
    [Fact]
    public async Task AFullBufferAbortsTheConnectionAndTheWriteReturnsAtOnce()
    {
        await using var node = await PushNode.StartAsync();
        var metrics = node.Services.GetRequiredService<PushMetrics>();
        // The application's side of a transport that holds 1 KiB before it makes writers wait.
        var toClient = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false));
        var fromClient = new Pipe();
        var connection = new DefaultConnectionContext("c1", new DuplexPipe(fromClient.Reader, toClient.Writer), new DuplexPipe(toClient.Reader, fromClient.Writer));
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionClosed.Register(() => aborted.TrySetResult());

        PipeWriter? output = null;
        var app = new ConnectionBuilder(node.Services)
            .UseSlowConsumerGuard(metrics, NullLogger.Instance, 1024)
            .Run(c =>
            {
                output = c.Transport.Output;
                return Task.CompletedTask;
            })
            .Build();
        await app(connection);

        var frame = Encoding.ASCII.GetBytes(new string('x', 600));
        var first = output!.WriteAsync(frame).AsTask();
        Assert.True(first.IsCompleted);
        Assert.False(aborted.Task.IsCompleted);
        // Over the threshold: a plain pipe would make this write wait until the client reads.
        var second = output.WriteAsync(frame).AsTask();
        Assert.True(second.IsCompleted);
        Assert.True((await second).IsCompleted);
        await aborted.Task.DefaultTimeout();
        // Everything after is dropped, without waiting either.
        Assert.True(output.WriteAsync(frame).AsTask().IsCompleted);
        output.GetSpan(100)[0] = 1;
        output.Advance(100);
        Assert.True(output.FlushAsync().AsTask().IsCompleted);
        Assert.True(toClient.Reader.TryRead(out var buffered));
        Assert.Equal(1200, buffered.Buffer.Length);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
