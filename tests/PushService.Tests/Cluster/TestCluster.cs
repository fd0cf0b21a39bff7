using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Client;
using PushService.Redis;
using PushService.Tests.Infrastructure;
using StackExchange.Redis;
using StreamPosition = PushService.Client.StreamPosition;
using Xunit.Abstractions;

namespace PushService.Tests.Cluster;

/// <summary>
/// The multi-process tests run one at a time (they use every core the machine has), after the
/// other collections, and never in parallel with each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "cluster";
}

/// <summary>What a scenario runs on.</summary>
public sealed record ClusterOptions
{
    public int Nodes { get; init; } = 3;

    /// <summary>redis-server keeps an append-only file (fsync on every write), so a restart loses nothing.</summary>
    public bool AppendOnly { get; init; }

    /// <summary>Appended to the nodes' Redis connection string, e.g. <c>,asyncTimeout=1000</c>.</summary>
    public string RedisOptions { get; init; } = "";

    /// <summary>Further node settings (<c>Push:History:Size</c>…).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// One scenario's world, started and controlled by <c>deploy/local/cluster.sh</c> as an operator
/// runs it: its own redis-server, node processes and nginx (the operator's config) on free
/// loopback ports, all output in one folder that is kept (and named in the test output) when the
/// scenario fails. The test adds the ledger and the subscribers.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    /// <summary>Besides the scenario's own: short timeouts, so a dead Redis shows quickly.</summary>
    private const string RedisOptions = "abortConnect=false,connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    private readonly List<LedgerSubscriber> _subscribers = [];
    private readonly List<SteadyPublisher> _publishers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StringBuilder _timeline = new();
    private readonly ClusterScript _script;
    private ConnectionMultiplexer? _redisClient;

    private TestCluster(ClusterScript script, ClusterRedis redis, string prefix, IEnumerable<ServiceProcess> nodes, LoadBalancer loadBalancer)
    {
        _script = script;
        Redis = redis;
        Prefix = prefix;
        Nodes = [.. nodes];
        LoadBalancer = loadBalancer;
    }

    public ClusterRedis Redis { get; }

    public string Prefix { get; }

    /// <summary>The script's folder: pid files, every process's log, the rendered nginx config.</summary>
    public string LogDirectory => _script.Directory;

    public IReadOnlyList<ServiceProcess> Nodes { get; }

    public LoadBalancer LoadBalancer { get; }

    public Ledger Ledger { get; } = new();

    public IReadOnlyList<LedgerSubscriber> Subscribers
    {
        get
        {
            lock (_subscribers)
            {
                return [.. _subscribers];
            }
        }
    }

    public bool KeepLogs { get; set; }

    /// <summary>
    /// <c>cluster.sh up</c> in a new folder, on free ports; a port taken between picking and
    /// binding is retried on others.
    /// </summary>
    public static async Task<TestCluster> StartAsync(ClusterOptions options)
    {
        var prefix = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        var settings = PushNode.DefaultSettings(prefix: prefix);
        // The script gives the nodes their Redis (CLUSTER_REDIS_*) and their ids.
        settings.Remove("Push:Redis");
        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }
        for (var attempt = 1; ; attempt++)
        {
            var (nginxPort, nodePort, redisPort) = (FreePort.Next(), FreePort.Range(options.Nodes), FreePort.Next());
            var redisOptions = RedisOptions + options.RedisOptions;
            var environment = new Dictionary<string, string>
            {
                ["CLUSTER_NODES"] = options.Nodes.ToString(CultureInfo.InvariantCulture),
                ["CLUSTER_PORT"] = nginxPort.ToString(CultureInfo.InvariantCulture),
                ["CLUSTER_NODE_PORT"] = nodePort.ToString(CultureInfo.InvariantCulture),
                ["CLUSTER_REDIS_PORT"] = redisPort.ToString(CultureInfo.InvariantCulture),
                ["CLUSTER_REDIS_OPTIONS"] = redisOptions,
                ["CLUSTER_AOF"] = options.AppendOnly ? "always" : "0",
                ["CLUSTER_DLL"] = Path.Combine(ServiceProcess.ServiceDirectory, "PushService.dll"),
                ["CLUSTER_STOP_TIMEOUT"] = "15",
            };
            foreach (var (key, value) in settings)
            {
                environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
            }
            var script = new ClusterScript(Directory.CreateTempSubdirectory("push-cluster-").FullName, environment);
            var cluster = new TestCluster(
                script, new ClusterRedis(script, redisPort, redisOptions), prefix,
                Enumerable.Range(1, options.Nodes).Select(i => new ServiceProcess(script, i, nodePort + i - 1)),
                new LoadBalancer(script, nginxPort));
            var (exitCode, output) = await script.TryRunAsync("up");
            if (exitCode == 0)
            {
                cluster.Mark($"started by cluster.sh: redis :{redisPort}{(options.AppendOnly ? " (AOF)" : "")}, "
                    + string.Join(", ", cluster.Nodes.Select(n => $"{n.NodeId} :{n.Port} pid {n.Pid}")) + $", nginx :{nginxPort}");
                return cluster;
            }
            var portTaken = output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
                || Directory.GetFiles(script.Directory, "*.log").Any(f => File.ReadAllText(f).Contains("address already in use", StringComparison.OrdinalIgnoreCase));
            var retry = portTaken && attempt < 3;
            cluster.KeepLogs = !retry;
            await cluster.DisposeAsync();
            if (!retry)
            {
                throw new InvalidOperationException($"cluster.sh up exited with {exitCode} (folder kept: {script.Directory}):{Environment.NewLine}{output}");
            }
        }
    }

    /// <summary>Notes a moment in the scenario's timeline (shown in the test output), with the time since start.</summary>
    public void Mark(string what)
    {
        lock (_timeline)
        {
            _timeline.AppendLine(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,7:F2} s  {what}");
        }
    }

    public string Timeline
    {
        get
        {
            lock (_timeline)
            {
                return _timeline.ToString();
            }
        }
    }

    /// <summary>A subscriber connected straight to <paramref name="node"/>.</summary>
    /// <param name="initialPositions">Positions saved by an earlier client: the same app, restarted (its ledger record continues).</param>
    public Task<LedgerSubscriber> SubscribeAsync(
        string name, ServiceProcess node, string user, IReadOnlyList<string>? topics = null, PushProtocol protocol = PushProtocol.Json,
        bool start = true, IReadOnlyDictionary<string, StreamPosition>? initialPositions = null)
        => AddAsync(LedgerSubscriber.StartAsync(Ledger, name, node.Url, user, topics, protocol, start: start, initialPositions: initialPositions));

    /// <summary>Disposes a subscriber (its app stopped); its ledger record stays.</summary>
    public async Task StopAsync(LedgerSubscriber subscriber)
    {
        lock (_subscribers)
        {
            _subscribers.Remove(subscriber);
        }
        await subscriber.DisposeAsync();
    }

    /// <summary>A subscriber connected through nginx, with an affinity key that lands it on <paramref name="node"/> while that node lives.</summary>
    public async Task<LedgerSubscriber> SubscribeThroughLoadBalancerAsync(
        string name, ServiceProcess node, string user, IReadOnlyList<string>? topics = null, PushProtocol protocol = PushProtocol.Json,
        HttpTransportType transport = HttpTransportType.WebSockets)
    {
        var balancer = LoadBalancer;
        var key = await balancer.AffinityKeyForAsync(node, name);
        var subscriber = await AddAsync(LedgerSubscriber.StartAsync(Ledger, name, balancer.Url, user, topics, protocol, balancer.Affinity(key), transport: transport));
        Assert.True(await balancer.UpstreamForAsync(key) == node.Address, $"{name}'s affinity key {key} no longer leads to {node.NodeId}.");
        return subscriber;
    }

    public SteadyPublisher Publisher(string name, IReadOnlyList<ServiceProcess> nodes, IReadOnlyList<PublishItem> items, PublisherOptions options)
    {
        var publisher = new SteadyPublisher(name, Ledger, nodes, items, options);
        _publishers.Add(publisher);
        return publisher;
    }

    /// <summary>
    /// Waits until every subscriber was handed every accepted publish of its streams, then checks
    /// each against the ledger. A timeout reports what is missing rather than just "timed out".
    /// </summary>
    public async Task AssertEveryoneCompleteAsync(TimeSpan timeout, bool allowRecoveryFailures = false, IEnumerable<LedgerSubscriber>? subscribers = null)
    {
        var all = (subscribers ?? Subscribers).ToList();
        try
        {
            await Task.WhenAll(all.Select(s => s.WaitForAllAcceptedAsync(Ledger))).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // The report below says what did not arrive.
        }
        Mark($"deliveries checked: {all.Sum(s => s.Record.Deliveries.Count)} handed over to {all.Count} clients");
        var problems = string.Concat(all.Select(s => Ledger.Check(s.Name, s.Streams, allowRecoveryFailures)));
        if (problems.Length > 0)
        {
            throw new Xunit.Sdk.XunitException($"Ledger and deliveries disagree (after waiting up to {timeout.TotalSeconds} s):{Environment.NewLine}{problems}");
        }
    }

    /// <summary>The stream's last offset as Redis has it (0 when it has none): its length since the epoch began.</summary>
    public async Task<long> StreamOffsetAsync(string stream)
    {
        _redisClient ??= await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var offset = await _redisClient.GetDatabase().HashGetAsync(new RedisKeys(Prefix).StreamMeta(stream), "offset");
        return offset.IsNull ? 0 : (long)offset;
    }

    /// <summary>Everything that helps explain a failure: timeline, publishers, nodes' and nginx's last lines.</summary>
    public string Diagnostics()
    {
        var text = new StringBuilder();
        text.AppendLine("Timeline:").Append(Timeline);
        foreach (var publisher in _publishers)
        {
            text.AppendLine(publisher.Summary);
        }
        foreach (var subscriber in Subscribers)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{subscriber.Name}: {subscriber.Record.Deliveries.Count} handed over, {subscriber.Record.Reconnects} reconnects, {subscriber.Record.RecoveryFailures.Count} recovery failures, state {subscriber.Client.State}");
        }
        foreach (var node in Nodes)
        {
            text.AppendLine(node.Tail(25));
        }
        text.AppendLine(LoadBalancer.Tail(15));
        text.AppendLine(Redis.Tail(10));
        text.AppendLine($"Full logs: {LogDirectory}");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Subscribers.Select(s => s.DisposeAsync().AsTask()));
        foreach (var publisher in _publishers)
        {
            publisher.Dispose();
        }
        LoadBalancer.Dispose();
        if (_redisClient is not null)
        {
            await _redisClient.DisposeAsync();
        }
        // Stops exactly what "up" and the scenario's "node start"s started, by their recorded PIDs.
        var (exitCode, output) = await _script.TryRunAsync("down");
        if (exitCode != 0)
        {
            KeepLogs = true;
            Console.Error.WriteLine($"cluster.sh down exited with {exitCode} (folder kept: {LogDirectory}):{Environment.NewLine}{output}");
        }
        if (!KeepLogs)
        {
            try
            {
                Directory.Delete(LogDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Harmless.
            }
        }
    }

    private async Task<LedgerSubscriber> AddAsync(Task<LedgerSubscriber> starting)
    {
        var subscriber = await starting;
        lock (_subscribers)
        {
            _subscribers.Add(subscriber);
        }
        return subscriber;
    }
}

/// <summary>Base of the scenario classes: runs a scenario on its own cluster and explains a failure.</summary>
public abstract class ClusterScenario(ITestOutputHelper output)
{
    protected ITestOutputHelper Output { get; } = output;

    protected async Task RunAsync(ClusterOptions options, Func<TestCluster, Task> scenario)
    {
        var cluster = await TestCluster.StartAsync(options);
        try
        {
            await scenario(cluster);
            cluster.Mark("passed");
            Output.WriteLine(cluster.Timeline);
        }
        catch
        {
            cluster.KeepLogs = true;
            Output.WriteLine(cluster.Diagnostics());
            throw;
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
