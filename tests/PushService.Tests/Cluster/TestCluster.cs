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

    /// <summary>nginx in front of the nodes (deploy/nginx/pushservice.conf).</summary>
    public bool LoadBalancer { get; init; }

    /// <summary>redis-server keeps an append-only file, so a restart loses nothing.</summary>
    public bool AppendOnly { get; init; }

    /// <summary>Appended to the nodes' Redis connection string, e.g. <c>,asyncTimeout=1000</c>.</summary>
    public string RedisOptions { get; init; } = "";

    /// <summary>Further node settings (<c>Push:History:Size</c>…).</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// One scenario's world: its own redis-server, node processes, nginx when asked, the ledger and
/// the subscribers. Each node's whole output goes to a log folder that is kept (and named in
/// the test output) when the scenario fails.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<LedgerSubscriber> _subscribers = [];
    private readonly List<SteadyPublisher> _publishers = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StringBuilder _timeline = new();
    private ConnectionMultiplexer? _redisClient;

    private TestCluster(RedisServer redis, string prefix, string logDirectory)
    {
        Redis = redis;
        Prefix = prefix;
        LogDirectory = logDirectory;
    }

    public RedisServer Redis { get; }

    public string Prefix { get; }

    public string LogDirectory { get; }

    public List<ServiceProcess> Nodes { get; } = [];

    public LoadBalancer? LoadBalancer { get; private set; }

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

    public static async Task<TestCluster> StartAsync(ClusterOptions options)
    {
        var redis = new RedisServer { AppendOnly = options.AppendOnly };
        await redis.InitializeAsync();
        var prefix = "cluster-" + Guid.NewGuid().ToString("N")[..8];
        var cluster = new TestCluster(redis, prefix, Directory.CreateTempSubdirectory("push-cluster-").FullName);
        try
        {
            var settings = PushNode.DefaultSettings(redis.ConnectionString + options.RedisOptions, prefix);
            foreach (var (key, value) in options.Settings)
            {
                settings[key] = value;
            }
            var starting = Enumerable.Range(1, options.Nodes)
                .Select(i => ServiceProcess.StartAsync($"node{i.ToString(CultureInfo.InvariantCulture)}", settings, cluster.LogDirectory)).ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            finally
            {
                // Those that did start are the cluster's to stop, whatever happened to the others.
                cluster.Nodes.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }
            var nodes = cluster.Nodes;
            if (options.LoadBalancer)
            {
                cluster.LoadBalancer = await LoadBalancer.StartAsync(cluster.Nodes);
            }
            cluster.Mark($"started: redis :{redis.Port}{(options.AppendOnly ? " (AOF)" : "")}, {string.Join(", ", nodes.Select(n => $"{n.NodeId} :{n.Port} pid {n.Pid}"))}"
                + (cluster.LoadBalancer is { } lb ? $", nginx :{lb.Port}" : ""));
            return cluster;
        }
        catch
        {
            cluster.KeepLogs = true;
            await cluster.DisposeAsync();
            throw;
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
        var balancer = LoadBalancer ?? throw new InvalidOperationException("This cluster has no load balancer.");
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
        if (LoadBalancer is not null)
        {
            text.AppendLine(LoadBalancer.Tail(15));
        }
        text.AppendLine($"Full node logs: {LogDirectory}");
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Subscribers.Select(s => s.DisposeAsync().AsTask()));
        foreach (var publisher in _publishers)
        {
            publisher.Dispose();
        }
        if (LoadBalancer is not null)
        {
            await LoadBalancer.DisposeAsync();
        }
        await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));
        if (_redisClient is not null)
        {
            await _redisClient.DisposeAsync();
        }
        await Redis.DisposeAsync();
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
