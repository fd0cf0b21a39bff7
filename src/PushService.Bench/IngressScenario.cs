using System.Diagnostics;
using System.Net;

namespace PushService.Bench;

/// <summary>
/// REST publishes as fast as K keep-alive connections carry them (each connection: one request
/// at a time), first one notification a request, then batches of B; each to one of 1,000 users
/// (a history stream each), no subscribers. Bodies are prepared before the clock starts, so the
/// generator spends its CPU on HTTP only.
/// </summary>
internal static class IngressScenario
{
    private const int Users = 1000;
    private const int PreparedBodies = 64;

    public static async Task RunAsync(BenchOptions options, Topology topology, BenchReport report, CancellationToken cancellationToken)
    {
        var run = Scenarios.RunId();
        using var publisher = new RestPublisher(topology, maxConnectionsPerNode: options.HttpConnections, options.PayloadBytes);
        report.Add("http connections", options.HttpConnections, "");
        if (options.Mode is "single" or "both")
        {
            await RunPhaseAsync("single", 1, options, topology, publisher, report, run, cancellationToken);
        }
        if (options.Mode is "batch" or "both")
        {
            await RunPhaseAsync("batch", options.Batch, options, topology, publisher, report, run, cancellationToken);
        }
    }

    private static async Task RunPhaseAsync(
        string phase, int batch, BenchOptions options, Topology topology, RestPublisher publisher, BenchReport report, string run, CancellationToken cancellationToken)
    {
        var bodies = Enumerable.Range(0, PreparedBodies)
            .Select(i => publisher.Body(n => $"bench-{run}-i{n % Users}", i * batch, batch, batch > 1))
            .ToArray();
        var times = Histograms.Create();
        var cpu = new CpuWindow(Scenarios.Measured(topology));
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + Pacing.Ticks(options.Warmup);
        var end = measureFrom + Pacing.Ticks(options.Duration);
        long requests = 0, accepted = 0, failed = 0, windowAccepted = 0;
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<HttpStatusCode, int>();

        var measuring = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, (measureFrom - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency)), cancellationToken);
            cpu.Start();
        }, cancellationToken);
        var connections = Enumerable.Range(0, options.HttpConnections).Select(c => Task.Run(async () =>
        {
            for (var i = c; Stopwatch.GetTimestamp() < end && Interlocked.Increment(ref requests) <= options.MaxCount; i += options.HttpConnections)
            {
                var sent = Stopwatch.GetTimestamp();
                var (status, ticks) = await publisher.PostAsync(c, bodies[i % bodies.Length], batch > 1, cancellationToken);
                var inWindow = sent >= measureFrom && sent < end;
                if (status == HttpStatusCode.Accepted)
                {
                    Interlocked.Add(ref accepted, batch);
                    if (inWindow)
                    {
                        Interlocked.Add(ref windowAccepted, batch);
                    }
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                }
                if (inWindow)
                {
                    times.RecordTicks(ticks);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(connections);
        await measuring;
        var usage = cpu.Stop();

        var prefix = phase + ": ";
        report.Add(prefix + "batch size", batch, "");
        report.Add(prefix + "requests", Math.Min(requests, options.MaxCount), "");
        report.Add(prefix + "accepted notifications", accepted, "");
        report.Add(prefix + "failed requests", failed, "");
        report.Add(prefix + "accepted publishes/s (window)", windowAccepted / options.Duration.TotalSeconds, "/s");
        report.Add(prefix + "requests/s (window)", times.TotalCount / options.Duration.TotalSeconds, "/s");
        report.AddCpu(usage, windowAccepted, "publish", prefix);
        report.Latencies[prefix + "response time"] = LatencySummary.From(times);
        foreach (var (status, count) in statuses)
        {
            report.Notes.Add($"{phase}: {count} requests answered {(int)status} {status}");
        }
    }
}
