using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// nginx on a free loopback port in front of the nodes, running the operator's config
/// <c>deploy/nginx/pushservice.conf</c> with only its upstream servers and listen address
/// replaced. Clients choose their node through the <c>push_affinity</c> cookie; a dead node is
/// skipped by nginx's passive health check. nginx is this test's own process (not a daemon),
/// stopped by its PID.
/// </summary>
public sealed partial class LoadBalancer : IAsyncDisposable
{
    public const string AffinityCookie = "push_affinity";

    /// <summary>Added by the test wrapper only (not the operator config): which node answered.</summary>
    public const string UpstreamHeader = "X-Push-Upstream";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private readonly List<int> _workers = [];
    private readonly Dictionary<string, string> _upstreamByKey = new(StringComparer.Ordinal);
    private readonly HttpClient _probe;
    private Process? _process;
    private TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LoadBalancer(string directory, int port)
    {
        _directory = directory;
        Port = port;
        // Cookies set by hand per request: no shared container between probes.
        _probe = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public static string TemplatePath => Path.Combine(RepositoryPaths.Root, "deploy", "nginx", "pushservice.conf");

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public Inbox<string> Log { get; } = new();

    public string AccessLogPath => Path.Combine(_directory, "access.log");

    public static async Task<LoadBalancer> StartAsync(IReadOnlyList<ServiceProcess> nodes)
    {
        var binary = FindNginx() ?? throw new InvalidOperationException(
            "nginx was not found on PATH or in /usr/sbin. Run the README test command (./test.sh), which installs it, or 'apt-get install nginx'.");
        var template = await File.ReadAllTextAsync(TemplatePath);
        for (var attempt = 1; ; attempt++)
        {
            var directory = Directory.CreateTempSubdirectory("push-nginx-").FullName;
            // nginx's workers drop root and must still reach their temporary files here.
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            var balancer = new LoadBalancer(directory, FreePort.Next());
            try
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "pushservice.conf"), Render(template, nodes.Select(n => n.Address), balancer.Port, balancer.AccessLogPath));
                await File.WriteAllTextAsync(Path.Combine(directory, "nginx.conf"), balancer.MainConfig());
                await balancer.StartProcessAsync(binary);
                return balancer;
            }
            catch (InvalidOperationException) when (attempt < 3 && balancer.Log.Items.Any(l => l.Contains("Address already in use", StringComparison.Ordinal)))
            {
                await balancer.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The operator's config with the example upstream servers replaced by <paramref name="upstreams"/>
    /// (keeping their parameters), <c>listen 80</c> by the loopback port and the access log's path by <paramref name="accessLog"/>.
    /// </summary>
    public static string Render(string template, IEnumerable<string> upstreams, int port, string accessLog)
    {
        var servers = UpstreamServer().Matches(template);
        if (servers.Count == 0 || !ListenDirective().IsMatch(template))
        {
            throw new InvalidOperationException($"{TemplatePath} no longer has 'server host:port …;' lines in its upstream block and a 'listen' directive; update LoadBalancer.Render.");
        }
        var indent = servers[0].Groups["indent"].Value;
        var parameters = servers[0].Groups["parameters"].Value;
        var lines = string.Concat(upstreams.Select(address => $"{indent}server {address}{parameters};\n"));
        var rendered = new StringBuilder(template.Length);
        rendered.Append(template, 0, servers[0].Index).Append(lines);
        var end = servers[^1].Index + servers[^1].Length;
        rendered.Append(template, end, template.Length - end);
        var listening = ListenDirective().Replace(rendered.ToString(), $"${{indent}}listen 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)};", 1);
        return AccessLogDirective().Replace(listening, $"${{start}}{accessLog}${{format}}");
    }

    /// <summary>
    /// An affinity key that nginx sends to <paramref name="node"/> while every node is up, found
    /// by asking nginx (consistent hashing decides; the test does not reimplement it).
    /// </summary>
    public async Task<string> AffinityKeyForAsync(ServiceProcess node, string prefix, ISet<string>? taken = null)
    {
        for (var i = 0; i < 500; i++)
        {
            var key = $"{prefix}-{i.ToString(CultureInfo.InvariantCulture)}";
            if (taken?.Contains(key) == true)
            {
                continue;
            }
            if (await UpstreamForAsync(key) == node.Address)
            {
                taken?.Add(key);
                return key;
            }
        }
        throw new InvalidOperationException($"No affinity key '{prefix}-N' maps to {node.NodeId} ({node.Address}) in 500 tries.");
    }

    /// <summary>The node (host:port) that answers a request with this affinity key now.</summary>
    public async Task<string> UpstreamForAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz/live");
        request.Headers.Add("Cookie", $"{AffinityCookie}={key}");
        using var response = await _probe.SendAsync(request).DefaultTimeout();
        var upstream = response.Headers.TryGetValues(UpstreamHeader, out var values) ? values.First() : "";
        // After a retry nginx lists every node it tried: "a:1, b:2". The last one answered.
        upstream = upstream.Split(',', StringSplitOptions.TrimEntries)[^1];
        lock (_upstreamByKey)
        {
            _upstreamByKey[key] = upstream;
        }
        return upstream;
    }

    /// <summary>Makes a <c>PushClient</c>'s connection carry the affinity cookie (negotiate and every transport).</summary>
    public Action<IHubConnectionBuilder> Affinity(string key) => builder =>
        builder.Services.Configure<HttpConnectionOptions>(options => options.Cookies.Add(Url, new Cookie(AffinityCookie, key)));

    /// <summary>The last lines of nginx's error log and access log, for failure messages.</summary>
    public string Tail(int lines = 30)
    {
        var errors = Log.Items;
        var access = File.Exists(AccessLogPath) ? File.ReadAllLines(AccessLogPath) : [];
        return $"--- nginx ({Url}) error log, last {Math.Min(lines, errors.Count)} of {errors.Count} lines ---{Environment.NewLine}"
            + string.Join(Environment.NewLine, errors.Skip(Math.Max(0, errors.Count - lines))) + Environment.NewLine
            + $"--- nginx access log, last {Math.Min(lines, access.Length)} of {access.Length} lines ---{Environment.NewLine}"
            + string.Join(Environment.NewLine, access.Skip(Math.Max(0, access.Length - lines)));
    }

    public async ValueTask DisposeAsync()
    {
        _probe.Dispose();
        if (_process is { HasExited: false } process)
        {
            // SIGTERM: the master stops its workers and exits. SIGKILL would orphan the workers.
            ServiceProcess.Signal(process.Id, "TERM");
            try
            {
                await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: false);
                foreach (var worker in _workers)
                {
                    ServiceProcess.Signal(worker, "KILL");
                }
            }
        }
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Files created by workers as another user; harmless too.
        }
    }

    private string MainConfig() => $$"""
        # Generated by the tests around {{TemplatePath}}.
        worker_processes 1;
        events {
            worker_connections 4096;
        }
        http {
            log_format push '$time_iso8601 $remote_addr "$request_method $uri" $status upstream=$upstream_addr/$upstream_status $request_time s';
            access_log {{_directory}}/access.log push;
            client_body_temp_path {{_directory}}/client_body;
            proxy_temp_path {{_directory}}/proxy;
            fastcgi_temp_path {{_directory}}/fastcgi;
            uwsgi_temp_path {{_directory}}/uwsgi;
            scgi_temp_path {{_directory}}/scgi;
            # Tests only: which node answered, so that a test can choose affinity keys per node.
            add_header {{UpstreamHeader}} $upstream_addr always;
            include {{_directory}}/pushservice.conf;
        }

        """;

    private async Task StartProcessAsync(string binary)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-p", _directory + "/", "-c", Path.Combine(_directory, "nginx.conf"),
            "-g", $"daemon off; pid {_directory}/nginx.pid; error_log stderr notice;"])
        {
            start.ArgumentList.Add(argument);
        }
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }
            Log.Add(line);
            if (Environment.GetEnvironmentVariable("PUSH_TEST_LOGS") == "1")
            {
                Console.WriteLine($"[nginx] {line}");
            }
            // The master binds every listening socket before it starts workers: from here on,
            // connections wait in the backlog until the worker accepts them.
            if (WorkerStarted().Match(line) is { Success: true } worker)
            {
                lock (_workers)
                {
                    _workers.Add(int.Parse(worker.Groups["pid"].Value, CultureInfo.InvariantCulture));
                }
                ready.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.Exited += (_, _) => _exited.TrySetResult();
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task? first = null;
        try
        {
            first = await Task.WhenAny(ready.Task, _exited.Task).WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            // Reported below.
        }
        if (first != ready.Task)
        {
            throw new InvalidOperationException($"nginx did not start ({(first is null ? "timed out" : "it exited")}).{Environment.NewLine}{Tail()}");
        }
    }

    private static string? FindNginx()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/local/sbin").Append("/usr/local/nginx/sbin")
            .Select(dir => Path.Combine(dir, "nginx"))
            .FirstOrDefault(File.Exists);
    }

    [GeneratedRegex(@"^(?<indent>[ \t]*)server[ \t]+[^\s;]+:\d+(?<parameters>[^;\n]*);[ \t]*\n", RegexOptions.Multiline)]
    private static partial Regex UpstreamServer();

    [GeneratedRegex(@"^(?<indent>[ \t]*)listen[ \t]+80;", RegexOptions.Multiline)]
    private static partial Regex ListenDirective();

    [GeneratedRegex(@"^(?<start>[ \t]*access_log[ \t]+)[^\s;]+(?<format>[^;\n]*;)", RegexOptions.Multiline)]
    private static partial Regex AccessLogDirective();

    [GeneratedRegex(@"start worker process (?<pid>\d+)")]
    private static partial Regex WorkerStarted();
}
