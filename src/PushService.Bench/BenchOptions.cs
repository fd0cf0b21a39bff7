using System.Globalization;

namespace PushService.Bench;

/// <summary>The command line, parsed. Per-scenario defaults are filled in by <see cref="Resolve"/>.</summary>
internal sealed class BenchOptions
{
    public const string DefaultApiKey = "bench-publisher-key-0123456789";
    public const string DefaultSigningKey = "bench-signing-key-0123456789-0123456789-abcdef";

    public static readonly string[] Scenarios = ["latency", "fanout", "ingress", "connections"];

    public string Scenario { get; set; } = "";
    public int? Nodes { get; set; }
    public List<Uri> Targets { get; } = [];
    public string ApiKey { get; set; } = DefaultApiKey;
    public string SigningKey { get; set; } = DefaultSigningKey;
    /// <summary>Target mode: the Redis the nodes use (host:port), to read its CPU and version.</summary>
    public string? Redis { get; set; }
    public int? Subscribers { get; set; }
    public int Rate { get; set; } = 1000;
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Idle { get; set; } = TimeSpan.FromSeconds(5);
    public int Window { get; set; } = 4;
    public long MaxCount { get; set; } = 10_000_000;
    public int HttpConnections { get; set; } = 8;
    public int Batch { get; set; } = 100;
    public string Mode { get; set; } = "both";
    public int Connections { get; set; } = 1000;
    public int? Workers { get; set; }
    public int PerWorker { get; set; } = 15_000;
    public int? SourceAddresses { get; set; }
    public int ConnectConcurrency { get; set; } = 64;
    public string Client { get; set; } = "raw";
    public bool Bare { get; set; }
    public int PayloadBytes { get; set; }
    public string? JsonPath { get; set; }
    public bool NoBuild { get; set; }
    public string? ServiceDll { get; set; }
    public List<KeyValuePair<string, string>> NodeEnvironment { get; } = [];
    public bool Help { get; set; }

    public bool TopologyMode => Targets.Count == 0;

    public const string Usage = """
        PushService.Bench — measures a PushService topology on this machine.

        usage: dotnet run -c Release --project src/PushService.Bench -- <scenario> [options]

        scenarios
          latency       S subscribers, each on its own user stream; R notifications/s to single users,
                        sent by the clock (open loop); publish→handler latency, lost, duplicates
          fanout        S subscribers on one topic; publishes as fast as an in-flight window allows;
                        deliveries/s, latency, server CPU per delivery (--bare: a bare SignalR server instead)
          ingress       REST publishes/s over keep-alive connections, single and batch; response times
          connections   C idle connections from several generator processes and 127.0.0.x source
                        addresses; RSS per connection, connect rate, idle CPU

        topology (default: start redis-server and N nodes on loopback, killed at the end)
          --nodes N                 nodes to start (latency, fanout: 2; ingress, connections: 1)
          --no-build                do not run 'dotnet build -c Release src/PushService' first
          --service-dll PATH        the PushService.dll to run (default src/PushService/bin/Release/net10.0)
          --node-env NAME=VALUE     extra environment for every node (repeatable), e.g. DOTNET_gcServer=0
          --target URL[,URL…]       use running nodes instead (their PIDs are found by listening port)
          --api-key KEY             publisher key of the running nodes
          --signing-key KEY         HS256 key of the running nodes' subscriber tokens
          --redis HOST:PORT         the running nodes' Redis, to report its CPU

        load
          --subscribers N           latency: 100, fanout: 500
          --rate R                  latency: notifications per second (1000)
          --duration T              measured time (10s); T is 500ms, 10s, 2m or seconds
          --warmup T                unmeasured time before it (5s): JIT tiering, pools
          --grace T                 how long to wait for late deliveries at the end (5s)
          --idle T                  latency, fanout: after T to settle, servers' CPU measured for T with
                                    subscribers connected and nothing published (5s); subtracted for "marginal" CPU
          --window W                fanout: notifications in flight (4)
          --count N                 upper bound on notifications or requests sent (10,000,000)
          --payload BYTES           extra bytes of data in each notification (0)
          --client raw|sdk          subscribers: minimal MessagePack WebSocket client (raw, default)
                                    or the SDK's PushClient (latency and fanout)
          --bare                    against a bare SignalR server (no Redis, no history, no auth; ingress:
                                    single publishes only); --node-env applies to it too
          --http-connections K      ingress: keep-alive connections (8)
          --batch B                 ingress: notifications per batch request (100)
          --mode single|batch|both  ingress: which phases to run (both)
          --connections C           connections: idle connections (1000)
          --workers W               connections: generator processes (at least 2, ≤ 15,000 sockets each)
          --source-addresses A      connections: source addresses 127.0.0.2… (at least 2, ≤ 20,000 each)
          --connect-concurrency N   connections: connects in flight per worker (64)

        output
          --json PATH               also write the report as JSON
          --help                    this text
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.");
            switch (arg)
            {
                case "--help" or "-h": options.Help = true; break;
                case "--nodes": options.Nodes = Int(Value(), arg, 1); break;
                case "--target":
                    foreach (var url in Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        options.Targets.Add(new Uri(url.EndsWith('/') ? url : url + "/"));
                    }
                    break;
                case "--api-key": options.ApiKey = Value(); break;
                case "--signing-key": options.SigningKey = Value(); break;
                case "--redis": options.Redis = Value(); break;
                case "--subscribers": options.Subscribers = Int(Value(), arg, 1); break;
                case "--rate": options.Rate = Int(Value(), arg, 1); break;
                case "--duration": options.Duration = ParseDuration(Value(), arg); break;
                case "--warmup": options.Warmup = ParseDuration(Value(), arg); break;
                case "--grace": options.Grace = ParseDuration(Value(), arg); break;
                case "--idle": options.Idle = ParseDuration(Value(), arg); break;
                case "--window": options.Window = Int(Value(), arg, 1); break;
                case "--count": options.MaxCount = Int(Value(), arg, 1); break;
                case "--payload": options.PayloadBytes = Int(Value(), arg, 0); break;
                case "--client": options.Client = OneOf(Value(), arg, "raw", "sdk"); break;
                case "--bare": options.Bare = true; break;
                case "--http-connections": options.HttpConnections = Int(Value(), arg, 1); break;
                case "--batch": options.Batch = Int(Value(), arg, 1); break;
                case "--mode": options.Mode = OneOf(Value(), arg, "single", "batch", "both"); break;
                case "--connections": options.Connections = Int(Value(), arg, 1); break;
                case "--workers": options.Workers = Int(Value(), arg, 1); break;
                case "--per-worker": options.PerWorker = Int(Value(), arg, 1); break;
                case "--source-addresses": options.SourceAddresses = Int(Value(), arg, 1); break;
                case "--connect-concurrency": options.ConnectConcurrency = Int(Value(), arg, 1); break;
                case "--json": options.JsonPath = Value(); break;
                case "--no-build": options.NoBuild = true; break;
                case "--service-dll": options.ServiceDll = Value(); break;
                case "--node-env":
                    var pair = Value().Split('=', 2);
                    if (pair.Length != 2 || pair[0].Length == 0)
                    {
                        throw new ArgumentException("--node-env needs NAME=VALUE.");
                    }
                    options.NodeEnvironment.Add(new(pair[0], pair[1]));
                    break;
                default:
                    if (arg.StartsWith('-') || options.Scenario.Length > 0)
                    {
                        throw new ArgumentException($"Unknown argument '{arg}'. See --help.");
                    }
                    options.Scenario = arg;
                    break;
            }
        }
        return options;
    }

    /// <summary>Checks the scenario and fills in the defaults that depend on it.</summary>
    public BenchOptions Resolve()
    {
        if (!Scenarios.Contains(Scenario))
        {
            throw new ArgumentException($"Unknown scenario '{Scenario}': one of {string.Join(", ", Scenarios)}.");
        }
        Nodes ??= Scenario is "latency" or "fanout" ? 2 : 1;
        Subscribers ??= Scenario == "fanout" ? 500 : 100;
        if (Bare && Scenario == "ingress")
        {
            // The bare server has no batch endpoint: its ingress ceiling is one notification a request.
            Mode = Mode == "both" ? "single" : Mode == "single" ? Mode : throw new ArgumentException("--bare ingress measures single publishes only.");
        }
        if (Client == "sdk" && Scenario is not ("latency" or "fanout"))
        {
            throw new ArgumentException("--client sdk applies to latency and fanout only.");
        }
        if (PerWorker > 18_000)
        {
            throw new ArgumentException("--per-worker must stay below the 20,000 open files a process may have here.");
        }
        return this;
    }

    /// <summary>The parameters that shaped a run, for the report.</summary>
    public Dictionary<string, string> Describe()
    {
        var d = new Dictionary<string, string>
        {
            ["topology"] = Bare ? "bare SignalR server (1 process, no Redis, no history)"
                : TopologyMode ? $"started: redis-server + {Nodes} node(s)" : $"target: {string.Join(",", Targets)}",
            ["duration"] = Seconds(Duration),
            ["warmup"] = Seconds(Warmup),
        };
        switch (Scenario)
        {
            case "latency":
                d["subscribers"] = I(Subscribers!.Value);
                d["rate"] = I(Rate) + "/s";
                d["client"] = Client;
                break;
            case "fanout":
                d["subscribers"] = I(Subscribers!.Value);
                d["window"] = I(Window);
                d["client"] = Client;
                break;
            case "ingress":
                d["http-connections"] = I(HttpConnections);
                d["batch"] = I(Batch);
                d["mode"] = Mode;
                break;
            case "connections":
                d["connections"] = I(Connections);
                break;
        }
        if (PayloadBytes > 0)
        {
            d["payload"] = I(PayloadBytes) + " B";
        }
        foreach (var (name, value) in NodeEnvironment)
        {
            d["node-env " + name] = value;
        }
        return d;
    }

    public static TimeSpan ParseDuration(string text, string name = "duration")
    {
        static double Number(string s, string name) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v : throw new ArgumentException($"{name}: '{s}' is not a duration (500ms, 10s, 2m).");
        return text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => TimeSpan.FromMilliseconds(Number(text[..^2], name)),
            _ when text.EndsWith('s') => TimeSpan.FromSeconds(Number(text[..^1], name)),
            _ when text.EndsWith('m') => TimeSpan.FromMinutes(Number(text[..^1], name)),
            _ => TimeSpan.FromSeconds(Number(text, name)),
        };
    }

    private static int Int(string text, string name, int min)
        => int.TryParse(text.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value : throw new ArgumentException($"{name} must be an integer ≥ {min}; got '{text}'.");

    private static string OneOf(string text, string name, params string[] allowed)
        => allowed.Contains(text) ? text : throw new ArgumentException($"{name} must be one of {string.Join(", ", allowed)}; got '{text}'.");

    private static string I(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
