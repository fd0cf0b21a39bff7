using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace PushService.Bench;

/// <summary>
/// What a scenario runs against: the nodes' URLs, the keys they accept, and the PIDs whose CPU
/// is measured. Either started here (redis-server on a free port without persistence, and N
/// <c>dotnet PushService.dll</c> processes on loopback; all killed by PID on dispose) or attached
/// to running nodes, whose PIDs are found through the port they listen on.
/// </summary>
internal sealed class Topology : IAsyncDisposable
{
    private readonly List<ChildProcess> _started = [];
    private string? _redisDirectory;

    public List<Uri> Nodes { get; } = [];
    public string ApiKey { get; private set; } = BenchOptions.DefaultApiKey;
    public string SigningKey { get; private set; } = BenchOptions.DefaultSigningKey;
    public string? RedisVersion { get; private set; }
    public bool IsBare { get; private set; }

    /// <summary>Servers whose CPU every scenario reports: nodes (or the bare server) and Redis.</summary>
    public List<MeasuredProcess> Servers { get; } = [];

    public static async Task<Topology> CreateAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var topology = new Topology();
        try
        {
            if (options.Bare)
            {
                await topology.StartBareAsync(options.NodeEnvironment, cancellationToken);
            }
            else if (options.TopologyMode)
            {
                await topology.StartAsync(options, cancellationToken);
            }
            else
            {
                await topology.AttachAsync(options, cancellationToken);
            }
            return topology;
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PushService.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("PushService.sln not found above the current directory: run from the repository, or use --service-dll.");
    }

    private async Task StartAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var dll = options.ServiceDll ?? Path.Combine(RepositoryRoot(), "src", "PushService", "bin", "Release", "net10.0", "PushService.dll");
        if (!options.NoBuild && options.ServiceDll is null)
        {
            await BuildServiceAsync(cancellationToken);
        }
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} does not exist: build it with 'dotnet build -c Release src/PushService'.");
        }
        var redisPort = await StartRedisAsync(cancellationToken);
        for (var i = 1; i <= options.Nodes; i++)
        {
            await StartNodeAsync(dll, $"node{i}", redisPort, options.NodeEnvironment, cancellationToken);
        }
    }

    private static async Task BuildServiceAsync(CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("bench: dotnet build -c Release src/PushService");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryRoot() };
        foreach (var a in (string[])["build", "-c", "Release", "src/PushService", "--nologo", "-v", "q"])
        {
            start.ArgumentList.Add(a);
        }
        using var build = ChildProcesses.Start(start, "dotnet build");
        await build.Process.WaitForExitAsync(cancellationToken);
        if (build.Process.ExitCode != 0)
        {
            throw new InvalidOperationException("Building the service failed." + Environment.NewLine + build.Tail());
        }
    }

    private async Task<int> StartRedisAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = _redisDirectory = Directory.CreateTempSubdirectory("push-bench-redis-").FullName;
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo("redis-server");
            foreach (var a in (string[])["--port", I(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--protected-mode", "yes", "--loglevel", "warning", "--dir", dataDirectory])
            {
                start.ArgumentList.Add(a);
            }
            ChildProcess redis;
            try
            {
                redis = ChildProcesses.Start(start, "redis-server");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("redis-server was not found on PATH ('apt-get install redis-server', or ./test.sh installs it).", ex);
            }
            _started.Add(redis);
            var endpoint = $"127.0.0.1:{I(port)}";
            if (await WaitForRedisAsync(endpoint, redis, cancellationToken))
            {
                Servers.Add(new MeasuredProcess("redis", "redis", redis.Pid));
                return port;
            }
            if (attempt == 3)
            {
                throw new InvalidOperationException("redis-server did not answer PING." + Environment.NewLine + redis.Tail());
            }
        }
    }

    private async Task<bool> WaitForRedisAsync(string endpoint, ChildProcess redis, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && !redis.HasExited)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync($"{endpoint},connectTimeout=1000,allowAdmin=true");
                var info = (await connection.GetServer(endpoint).InfoAsync("server")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
                RedisVersion = info.GetValueOrDefault("redis_version");
                return true;
            }
            catch (RedisConnectionException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
        return false;
    }

    private async Task StartNodeAsync(string dll, string name, int redisPort, List<KeyValuePair<string, string>> extra, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var url = new Uri($"http://127.0.0.1:{I(FreePort())}/");
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Path.GetDirectoryName(dll)! };
            start.ArgumentList.Add(dll);
            // Only what is set here configures the node, not the caller's environment.
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("Push__", StringComparison.OrdinalIgnoreCase)
                || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                || k.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(key);
            }
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["ASPNETCORE_URLS"] = url.ToString().TrimEnd('/');
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Push__NodeId"] = "bench-" + name;
            start.Environment["Push__Redis"] = $"127.0.0.1:{I(redisPort)}";
            start.Environment["Push__RedisPrefix"] = "bench";
            start.Environment["Push__ApiKeys__0__Name"] = "bench";
            start.Environment["Push__ApiKeys__0__Key"] = ApiKey;
            start.Environment["Push__Jwt__SigningKey"] = SigningKey;
            // The bench measures what a node can do, not the per-key limit that protects it.
            start.Environment["Push__RateLimits__Publish__PermitsPerSecond"] = "10000000";
            start.Environment["Push__RateLimits__Publish__Burst"] = "10000000";
            foreach (var (key, value) in extra)
            {
                start.Environment[key] = value;
            }
            var node = ChildProcesses.Start(start, name);
            _started.Add(node);
            if (await WaitReadyAsync(url, node, cancellationToken))
            {
                Nodes.Add(url);
                Servers.Add(new MeasuredProcess(name, "node", node.Pid));
                return;
            }
            if (attempt == 3 || !node.Tail().Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Node {name} did not become ready on {url}." + Environment.NewLine + node.Tail());
            }
        }
    }

    /// <summary>Ready means /healthz/ready answers 200: with Redis, the backplane receives.</summary>
    internal static async Task<bool> WaitReadyAsync(Uri url, ChildProcess process, CancellationToken cancellationToken, string path = "healthz/ready")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(url, path), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100, cancellationToken);
        }
        return false;
    }

    private async Task StartBareAsync(List<KeyValuePair<string, string>> environment, CancellationToken cancellationToken)
    {
        IsBare = true;
        var url = new Uri($"http://127.0.0.1:{I(FreePort())}/");
        var start = ChildProcesses.Self("bare-server", ["--url", url.ToString()]);
        // The service runs with server GC (an ASP.NET Core default); so does its baseline.
        start.Environment["DOTNET_gcServer"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var server = ChildProcesses.Start(start, "bare-server");
        _started.Add(server);
        if (!await WaitReadyAsync(url, server, cancellationToken, "ready"))
        {
            throw new InvalidOperationException("The bare SignalR server did not start." + Environment.NewLine + server.Tail());
        }
        Nodes.Add(url);
        Servers.Add(new MeasuredProcess("bare-server", "server", server.Pid));
    }

    private async Task AttachAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        ApiKey = options.ApiKey;
        SigningKey = options.SigningKey;
        foreach (var url in options.Targets)
        {
            Nodes.Add(url);
            if (!url.IsLoopback)
            {
                throw new ArgumentException($"{url}: only loopback targets are measured (their CPU is read from /proc).");
            }
            if (PortOwner.Find(url.Port) is { } pid)
            {
                Servers.Add(new MeasuredProcess($"node{Nodes.Count}", "node", pid));
            }
            else
            {
                Console.Error.WriteLine($"bench: no process found listening on port {url.Port}; its CPU is not reported.");
            }
        }
        if (options.Redis is { } redis)
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis},connectTimeout=2000,allowAdmin=true");
            var info = (await connection.GetServer(redis).InfoAsync("server")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
            RedisVersion = info.GetValueOrDefault("redis_version");
            if (int.TryParse(info.GetValueOrDefault("process_id"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
            {
                Servers.Add(new MeasuredProcess("redis", "redis", pid));
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    public ValueTask DisposeAsync()
    {
        // Nodes first, so none of them logs Redis errors on the way out.
        foreach (var process in Enumerable.Reverse(_started))
        {
            process.Dispose();
        }
        _started.Clear();
        if (_redisDirectory is not null && Directory.Exists(_redisDirectory))
        {
            Directory.Delete(_redisDirectory, recursive: true);
        }
        return ValueTask.CompletedTask;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
