using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace PushService.Bench;

/// <summary>
/// The hidden <c>connections-worker</c> verb: one generator process holding its share of idle
/// connections (a process may have 20,000 open files here). It talks to the parent in lines:
/// prints <c>started</c>; on <c>go</c> connects and prints <c>connected OK FAILED MS</c>; on
/// <c>report</c> prints <c>open N</c>; on <c>stop</c> (or end of input) closes everything and exits.
/// </summary>
internal static class ConnectionsWorker
{
    public const string Verb = "connections-worker";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var targets = new List<Uri>();
        var sources = new List<IPAddress>();
        int count = 0, first = 0, concurrency = 64;
        var run = "run";
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--targets": targets.AddRange(value.Split(',').Select(u => new Uri(u))); break;
                case "--sources": sources.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse)); break;
                case "--count": count = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--first": first = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--run": run = value; break;
            }
        }
        var signingKey = Environment.GetEnvironmentVariable("BENCH_SIGNING_KEY") ?? BenchOptions.DefaultSigningKey;
        var tokens = new Tokens(signingKey);
        using var invoker = new HttpMessageInvoker(Dialer.Handler(sources));
        var subscribers = new RawSubscriber?[count];
        var input = Console.In;
        Console.WriteLine("started");

        if (await input.ReadLineAsync() != "go")
        {
            return 1;
        }
        var failed = 0;
        string? firstError = null;
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (j, _) =>
        {
            var index = first + j;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                subscribers[j] = await RawSubscriber.ConnectAsync(
                    targets[index % targets.Count], tokens.For($"bench-{run}-c{index}"), invoker, sink: null, index, bufferSize: 256, timeout.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Interlocked.Increment(ref failed);
                Interlocked.CompareExchange(ref firstError, ex.GetBaseException().Message, null);
            }
        });
        if (firstError is not null)
        {
            Console.WriteLine("error " + firstError.ReplaceLineEndings(" "));
        }
        Console.WriteLine($"connected {count - failed} {failed} {clock.ElapsedMilliseconds}");

        using var stop = new CancellationTokenSource();
        var keepAlive = KeepAliveAsync(subscribers, stop.Token);
        while (await input.ReadLineAsync() is { } line && line != "stop")
        {
            if (line == "report")
            {
                var open = subscribers.Count(s => s?.IsOpen == true);
                var reason = subscribers.FirstOrDefault(s => s is { IsOpen: false })?.CloseReason;
                Console.WriteLine($"open {open}" + (reason is null ? "" : " " + reason.ReplaceLineEndings(" ")));
            }
        }
        await stop.CancelAsync();
        await keepAlive;
        foreach (var subscriber in subscribers)
        {
            if (subscriber is not null)
            {
                await subscriber.DisposeAsync();
            }
        }
        Console.WriteLine("stopped");
        return 0;
    }

    /// <summary>A SignalR ping from every connection each 15 s (the SignalR clients' default), spread over the interval.</summary>
    private static async Task KeepAliveAsync(RawSubscriber?[] subscribers, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(150));
        var next = 0;
        var perTick = Math.Max(1, subscribers.Length / 100);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                for (var i = 0; i < perTick && subscribers.Length > 0; i++, next = (next + 1) % subscribers.Length)
                {
                    if (subscribers[next] is { } subscriber)
                    {
                        await subscriber.PingAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }
}
