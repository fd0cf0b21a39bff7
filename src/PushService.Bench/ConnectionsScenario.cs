using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;

namespace PushService.Bench;

/// <summary>
/// C idle subscriber connections, from W generator processes (this tool again, the
/// <c>connections-worker</c> verb) that bind source addresses 127.0.0.2… in turn: past the
/// ephemeral ports of one address and the open files of one process. Reports the connect rate,
/// the nodes' RSS per connection (growth over the RSS before connecting) and their idle CPU.
/// </summary>
internal static class ConnectionsScenario
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(BenchOptions options, Topology topology, BenchReport report, CancellationToken cancellationToken)
    {
        var c = options.Connections;
        var workers = Math.Max(options.Workers ?? 2, (c + options.PerWorker - 1) / options.PerWorker);
        var addresses = Math.Max(options.SourceAddresses ?? 2, (c + 19_999) / 20_000);
        var sources = Dialer.LoopbackSources(0, addresses);
        var run = Scenarios.RunId();
        var nodes = topology.Nodes.Count;
        var baseline = topology.Servers.ToDictionary(p => p.Pid, p => ProcStats.RssKiB(p.Pid) ?? 0);

        var generators = new List<Generator>();
        try
        {
            for (var w = 0; w < workers; w++)
            {
                var first = (int)((long)c * w / workers);
                var count = (int)((long)c * (w + 1) / workers) - first;
                // Each worker takes its own slice of the source addresses (or shares when there are fewer).
                var mine = sources.Where((_, i) => i % workers == w).ToList();
                if (mine.Count == 0)
                {
                    mine.Add(sources[w % sources.Count]);
                }
                generators.Add(Generator.Start(w, count, first, mine, topology, options, run));
            }
            foreach (var g in generators)
            {
                await g.ExpectAsync("started", TimeSpan.FromSeconds(30), cancellationToken);
            }

            var clock = Stopwatch.StartNew();
            foreach (var g in generators)
            {
                await g.SendAsync("go");
            }
            var connectTimeout = TimeSpan.FromSeconds(60 + c / 200.0);
            long connected = 0, failed = 0;
            foreach (var g in generators)
            {
                var line = await g.ExpectAsync("connected", connectTimeout, cancellationToken);
                var f = line.Split(' ');
                connected += long.Parse(f[1], CultureInfo.InvariantCulture);
                failed += long.Parse(f[2], CultureInfo.InvariantCulture);
                if (g.Error is { } error)
                {
                    report.Notes.Add($"worker {g.Index}: first connect error: {error}");
                }
            }
            var connectSeconds = clock.Elapsed.TotalSeconds;

            // The idle window: after a short settle, only pings flow.
            await Task.Delay(Settle, cancellationToken);
            var measured = Scenarios.Measured(topology).Concat(generators.Select(g => new MeasuredProcess($"worker{g.Index}", "client", g.Child.Pid))).ToList();
            var cpu = new CpuWindow(measured);
            cpu.Start();
            await Task.Delay(options.Duration, cancellationToken);
            var usage = cpu.Stop();
            long open = 0;
            foreach (var g in generators)
            {
                await g.SendAsync("report");
                var line = await g.ExpectAsync("open", TimeSpan.FromSeconds(30), cancellationToken);
                open += long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
                if (line.Split(' ', 3) is [_, _, var reason])
                {
                    report.Notes.Add($"worker {g.Index}: a connection closed: {reason}");
                }
            }

            report.Add("generator processes", workers, "");
            report.Add("source addresses", addresses, "");
            report.Add("connections attempted", c, "");
            report.Add("connected", connected, "");
            report.Add("failed", failed, "");
            report.Add("still open after idle", open, "");
            report.Add("connect rate", connected / connectSeconds, "/s");
            report.Add("connect time", connectSeconds, "s", 2);
            var idleServers = usage.Where(u => u.Kind is "node" or "redis" or "server").Sum(u => u.CpuSeconds);
            report.Add("idle server CPU", 100 * idleServers / options.Duration.TotalSeconds, "% of a core", 2);
            report.Add("idle server CPU per 1,000 connections", 100 * idleServers / options.Duration.TotalSeconds / Math.Max(1, connected / 1000.0), "% of a core", 3);
            foreach (var node in topology.Servers.Where(p => p.Kind is "node" or "server"))
            {
                var perNode = connected / nodes;
                var grown = (ProcStats.RssKiB(node.Pid) ?? 0) - baseline.GetValueOrDefault(node.Pid);
                report.Add($"{node.Role} RSS growth", grown / 1024.0, "MiB", 1);
                report.Add($"{node.Role} RSS per connection", perNode == 0 ? 0 : grown / (double)perNode, "KiB", 2);
                report.Add($"{node.Role} threads", ProcStats.Threads(node.Pid) ?? 0, "");
            }
            report.Processes.AddRange(usage);
            foreach (var g in generators)
            {
                await g.SendAsync("stop");
            }
            foreach (var g in generators)
            {
                await g.ExpectAsync("stopped", TimeSpan.FromSeconds(30), cancellationToken);
            }
        }
        finally
        {
            foreach (var g in generators)
            {
                g.Dispose();
            }
        }
    }

    /// <summary>One worker process and the lines it printed.</summary>
    private sealed class Generator : IDisposable
    {
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

        private Generator(int index) => Index = index;

        public int Index { get; }

        public ChildProcess Child { get; private set; } = null!;

        public string? Error { get; private set; }

        public static Generator Start(int index, int count, int first, List<System.Net.IPAddress> sources, Topology topology, BenchOptions options, string run)
        {
            var start = ChildProcesses.Self(ConnectionsWorker.Verb,
            [
                "--targets", string.Join(",", topology.Nodes), "--sources", string.Join(",", sources),
                "--count", count.ToString(CultureInfo.InvariantCulture), "--first", first.ToString(CultureInfo.InvariantCulture),
                "--concurrency", options.ConnectConcurrency.ToString(CultureInfo.InvariantCulture), "--run", run,
            ]);
            start.RedirectStandardInput = true;
            start.Environment["BENCH_SIGNING_KEY"] = topology.SigningKey;
            // A generator is a client: workstation GC keeps its heap (and its RSS) small.
            start.Environment["DOTNET_gcServer"] = "0";
            var generator = new Generator(index);
            generator.Child = ChildProcesses.Start(start, $"worker{index}", line =>
            {
                if (line.StartsWith("error ", StringComparison.Ordinal))
                {
                    generator.Error = line[6..];
                }
                generator._lines.Writer.TryWrite(line);
            }, () => generator._lines.Writer.TryComplete());
            return generator;
        }

        public async Task SendAsync(string line)
        {
            await Child.Process.StandardInput.WriteLineAsync(line);
            await Child.Process.StandardInput.FlushAsync();
        }

        /// <summary>The next line starting with <paramref name="prefix"/> (others skipped), within the timeout.</summary>
        public async Task<string> ExpectAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timer.CancelAfter(timeout);
            try
            {
                while (true)
                {
                    var line = await _lines.Reader.ReadAsync(timer.Token);
                    if (line.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return line;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"worker{Index} did not say '{prefix}' within {timeout.TotalSeconds:0} s." + Environment.NewLine + Child.Tail());
            }
            catch (ChannelClosedException)
            {
                throw new InvalidOperationException($"worker{Index} exited before it said '{prefix}'." + Environment.NewLine + Child.Tail());
            }
        }

        public void Dispose() => Child.Dispose();
    }
}
