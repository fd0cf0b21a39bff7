using System.Text.Json;
using PushService.Bench;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Bench;

/// <summary>
/// Keeps the benchmark tool working: each scenario runs with tiny counts against real processes
/// (redis-server and two service nodes, as the tool starts them) and must finish with a sane
/// report. Speed is never asserted here; nothing lost is, as that is correctness.
/// </summary>
[Collection(BenchCollection.Name)]
public sealed class BenchSmokeTests(BenchTopologyFixture fixture)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Latency_delivers_every_notification_and_reports_percentiles()
    {
        var report = await RunAsync("latency", "--subscribers", "5", "--rate", "50", "--duration", "1s", "--warmup", "0s");

        Assert.Equal(5, Value(report, "subscribers connected"));
        Assert.True(Value(report, "accepted (202)") > 0);
        Assert.Equal(Value(report, "accepted (202)"), Value(report, "received"));
        Assert.Equal(0, Value(report, "lost"));
        Assert.Equal(0, Value(report, "duplicates"));
        Assert.True(report.Latencies["publish→handler"].Count > 0);
        Assert.True(report.Latencies["schedule→handler"].P50 > 0);
        AssertServersMeasured(report, nodes: 2, redis: true);
    }

    [Fact]
    public async Task Latency_through_the_sdk_client_delivers_every_notification()
    {
        var report = await RunAsync("latency", "--subscribers", "3", "--rate", "20", "--duration", "1s", "--warmup", "0s", "--client", "sdk");

        Assert.True(Value(report, "received") > 0);
        Assert.Equal(0, Value(report, "lost"));
        Assert.Equal(0, Value(report, "duplicates"));
    }

    [Fact]
    public async Task Fanout_reaches_every_subscriber_of_the_topic()
    {
        var report = await RunAsync("fanout", "--subscribers", "5", "--duration", "1s", "--warmup", "0s", "--window", "2");

        Assert.True(Value(report, "accepted (202)") > 0);
        Assert.Equal(Value(report, "deliveries expected"), Value(report, "received"));
        Assert.Equal(0, Value(report, "lost"));
        Assert.True(Value(report, "deliveries/s (window)") > 0);
        Assert.NotNull(report.Find("server CPU per delivery"));
        AssertServersMeasured(report, nodes: 2, redis: true);
    }

    [Fact]
    public async Task Ingress_runs_single_and_batch_phases()
    {
        var report = await RunAsync("ingress", "--http-connections", "2", "--batch", "10", "--duration", "1s", "--warmup", "0s");

        Assert.True(Value(report, "single: accepted notifications") > 0);
        Assert.True(Value(report, "batch: accepted notifications") >= 10);
        Assert.Equal(0, Value(report, "single: failed requests"));
        Assert.Equal(0, Value(report, "batch: failed requests"));
        Assert.True(report.Latencies["batch: response time"].Count > 0);
    }

    [Fact]
    public async Task Connections_are_held_by_several_workers_from_several_source_addresses()
    {
        var report = await RunAsync("connections", "--connections", "20", "--workers", "2", "--source-addresses", "2", "--duration", "1s");

        Assert.Equal(2, Value(report, "generator processes"));
        Assert.Equal(20, Value(report, "connected"));
        Assert.Equal(20, Value(report, "still open after idle"));
        Assert.NotNull(report.Find("node1 RSS per connection"));
        Assert.Contains(report.Processes, p => p.Role == "worker1" && p.Pid > 0);
    }

    [Fact]
    public async Task Bare_fanout_runs_against_its_own_signalr_server()
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        var options = BenchOptions.Parse(["fanout", "--bare", "--subscribers", "5", "--duration", "1s", "--warmup", "0s", "--idle", "200ms"]).Resolve();

        var report = await Scenarios.RunAsync(options, timeout.Token);

        Assert.True(Value(report, "received") > 0);
        Assert.Equal(0, Value(report, "lost"));
        Assert.Contains(report.Processes, p => p.Kind == "server");
    }

    [Fact]
    public async Task Bare_latency_reaches_each_subscriber_as_its_own_user()
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        var options = BenchOptions.Parse(["latency", "--bare", "--subscribers", "5", "--rate", "50", "--duration", "1s", "--warmup", "0s", "--idle", "200ms"]).Resolve();

        var report = await Scenarios.RunAsync(options, timeout.Token);

        Assert.True(Value(report, "received") > 0);
        Assert.Equal(0, Value(report, "lost"));
        Assert.Contains(report.Processes, p => p.Kind == "server");
    }

    [Fact]
    public void Options_have_per_scenario_defaults_and_refuse_unknown_arguments()
    {
        Assert.Equal(2, BenchOptions.Parse(["latency"]).Resolve().Nodes);
        Assert.Equal(1, BenchOptions.Parse(["connections"]).Resolve().Nodes);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), BenchOptions.ParseDuration("1500ms"));
        Assert.Equal(TimeSpan.FromMinutes(2), BenchOptions.ParseDuration("2m"));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["latency", "--bogus"]));
        Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["ingress", "--bare", "--mode", "batch"]).Resolve());
        Assert.Equal("single", BenchOptions.Parse(["ingress", "--bare"]).Resolve().Mode);
    }

    private async Task<BenchReport> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        var options = BenchOptions.Parse([.. args, "--grace", "5s", "--idle", "200ms"]).Resolve();
        var report = await Scenarios.RunAsync(options, fixture.Topology, timeout.Token);
        // The JSON form carries the same figures.
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(report.Metrics.Count, json.RootElement.GetProperty("metrics").GetArrayLength());
        Assert.False(string.IsNullOrWhiteSpace(report.ToTable()));
        return report;
    }

    private static double Value(BenchReport report, string metric)
        => report.Find(metric)?.Value ?? throw new Xunit.Sdk.XunitException($"No metric '{metric}' in:{Environment.NewLine}{report.ToTable()}");

    private static void AssertServersMeasured(BenchReport report, int nodes, bool redis)
    {
        Assert.Equal(nodes, report.Processes.Count(p => p.Kind == "node" && p.Pid > 0));
        Assert.Equal(redis, report.Processes.Any(p => p.Kind == "redis"));
        Assert.Contains(report.Processes, p => p.Kind == "client" && p.CpuSeconds >= 0);
    }
}

/// <summary>redis-server and two node processes, started by the tool's own topology code, shared by the smoke tests.</summary>
public sealed class BenchTopologyFixture : IAsyncLifetime
{
    private Topology? _topology;

    internal Topology Topology => _topology ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        // The service as built with this test assembly (Debug or Release), not a separate Release build.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(RepositoryPaths.ServiceProject, "bin", output.Parent!.Name, output.Name, "PushService.dll");
        var options = BenchOptions.Parse(["latency", "--nodes", "2", "--service-dll", dll]).Resolve();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _topology = await Topology.CreateAsync(options, timeout.Token);
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }
}

/// <summary>The smoke tests start processes and load the machine: one at a time, after the parallel collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BenchCollection : ICollectionFixture<BenchTopologyFixture>
{
    public const string Name = "bench";
}
