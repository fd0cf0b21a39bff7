using System.Diagnostics;
using System.Security.Cryptography;

namespace PushService.Bench;

/// <summary>Runs one scenario on a topology and returns its report.</summary>
internal static class Scenarios
{
    /// <summary>Starts (or attaches to) the topology, runs the scenario, and always kills what it started.</summary>
    public static async Task<BenchReport> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        await using var topology = await Topology.CreateAsync(options, cancellationToken);
        return await RunAsync(options, topology, cancellationToken);
    }

    public static async Task<BenchReport> RunAsync(BenchOptions options, Topology topology, CancellationToken cancellationToken)
    {
        var report = new BenchReport
        {
            Scenario = options.Scenario + (options.Bare ? " (bare SignalR)" : ""),
            Parameters = options.Describe(),
            LoadAverageBefore = ProcStats.LoadAverage(),
        };
        report.Machine = ProcStats.Machine(topology.RedisVersion);
        switch (options.Scenario)
        {
            case "latency": await LatencyScenario.RunAsync(options, topology, report, cancellationToken); break;
            case "fanout": await FanoutScenario.RunAsync(options, topology, report, cancellationToken); break;
            case "ingress": await IngressScenario.RunAsync(options, topology, report, cancellationToken); break;
            case "connections": await ConnectionsScenario.RunAsync(options, topology, report, cancellationToken); break;
            default: throw new ArgumentException($"Unknown scenario '{options.Scenario}'.");
        }
        report.LoadAverageAfter = ProcStats.LoadAverage();
        return report;
    }

    /// <summary>
    /// The servers' CPU seconds per second while subscribers are connected and nothing is
    /// published (keep-alive pings, timers, presence renewals): what a load's window costs anyway.
    /// </summary>
    public static async Task<double> IdleServerCpuAsync(Topology topology, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (duration <= TimeSpan.Zero)
        {
            return -1;
        }
        // First let the connect burst settle (its garbage, tiering, Subscribe round trips), then measure as long.
        await Task.Delay(duration, cancellationToken);
        var window = new CpuWindow(topology.Servers);
        window.Start();
        await Task.Delay(duration, cancellationToken);
        return window.Stop().Where(u => u.Kind != "client").Sum(u => u.CpuSeconds) / duration.TotalSeconds;
    }

    /// <summary>A short random id, so that users and topics of one run never meet another run's.</summary>
    public static string RunId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The servers, and this process as the client.</summary>
    public static List<MeasuredProcess> Measured(Topology topology)
        => [.. topology.Servers, new MeasuredProcess("bench (client)", "client", Environment.ProcessId)];
}
