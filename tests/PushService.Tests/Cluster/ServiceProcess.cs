using System.Diagnostics;
using System.Globalization;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// One service node as a real OS process: <c>dotnet PushService.dll</c> from the service's build
/// output (the same configuration as this test assembly), configured only through environment
/// variables, listening on a loopback port of its own. Unlike <see cref="PushNode"/> it can be
/// killed with SIGKILL mid-request, and restarted on the same port.
/// </summary>
/// <remarks>
/// Ready means its log showed the start-up line (event 1300). Every line it writes is kept for
/// failure messages (<see cref="Tail"/>) and can be awaited (<see cref="WaitForLogAsync"/>).
/// Only the process started here is ever signalled, by its PID; disposing kills it if it still runs.
/// </remarks>
public sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    private readonly Dictionary<string, string?> _settings;
    private readonly string? _logFile;
    private readonly Lock _logFileGate = new();
    private Process? _process;
    private TaskCompletionSource _exited = Completed();
    private int _generation;

    private ServiceProcess(string nodeId, int port, Dictionary<string, string?> settings, string? logDirectory)
    {
        NodeId = nodeId;
        Port = port;
        _settings = settings;
        _logFile = logDirectory is null ? null : Path.Combine(logDirectory, nodeId + ".log");
    }

    public string NodeId { get; }

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The loopback address as nginx and access logs write it.</summary>
    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The current process id, or null when it is not running.</summary>
    public int? Pid => _process is { HasExited: false } process ? process.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Every line written to stdout and stderr, across restarts ("[stderr] " marks the latter).</summary>
    public Inbox<string> Log { get; } = new();

    /// <summary>The service's build output, in the configuration this test assembly was built in.</summary>
    public static string ServiceDirectory { get; } = FindServiceDirectory();

    /// <summary>
    /// Starts a node and returns once it logged that it started. A port taken between picking and
    /// binding is retried on another one.
    /// </summary>
    /// <param name="settings">Configuration keys (<c>Push:Redis</c>…), passed as environment variables (<c>Push__Redis</c>).</param>
    /// <param name="logDirectory">When set, the node's output is also written to <c>{nodeId}.log</c> there.</param>
    public static async Task<ServiceProcess> StartAsync(string nodeId, Dictionary<string, string?> settings, string? logDirectory = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = new ServiceProcess(nodeId, FreePort.Next(), settings, logDirectory);
            try
            {
                await node.StartProcessAsync();
                return node;
            }
            catch (InvalidOperationException) when (attempt < 3 && node.Log.Items.Any(l => l.Contains("address already in use", StringComparison.OrdinalIgnoreCase)))
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>SIGKILL: the node dies at once, mid-request, without any shutdown code running.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            // Process.Kill on Unix is kill(pid, SIGKILL) on this process only.
            process.Kill(entireProcessTree: false);
        }
        await WaitForExitAsync();
    }

    /// <summary>SIGTERM: the host's graceful shutdown. Returns once the process exited.</summary>
    public async Task TerminateAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signal(process.Id, "TERM");
        }
        await WaitForExitAsync();
    }

    /// <summary>Starts the node again on the same port, after <see cref="KillAsync"/> or <see cref="TerminateAsync"/>.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"Node {NodeId} (pid {_process!.Id}) is still running; kill or terminate it first.");
        }
        await StartProcessAsync();
    }

    /// <summary>Awaits a log line, with the default timeout unless given.</summary>
    public Task<string> WaitForLogAsync(string fragment, TimeSpan? timeout = null)
        => Log.WaitForAsync(line => line.Contains(fragment, StringComparison.Ordinal), timeout);

    /// <summary>The last lines of the node's output, for failure messages.</summary>
    public string Tail(int lines = 40)
    {
        var items = Log.Items;
        return $"--- {NodeId} ({Address}{(IsRunning ? $", pid {_process!.Id}" : ", not running")}), last {Math.Min(lines, items.Count)} of {items.Count} lines ---{Environment.NewLine}"
            + string.Join(Environment.NewLine, items.Skip(Math.Max(0, items.Count - lines)));
    }

    /// <summary>An HTTP client for the publish API of this node, keeping connections alive.</summary>
    public HttpClient CreatePublisherClient(TimeSpan? timeout = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = Url,
            Timeout = timeout ?? TimeSpan.FromSeconds(15),
        };
        client.DefaultRequestHeaders.Add("X-Api-Key", PushNode.ApiKey);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: false);
            await _exited.Task.WaitAsync(ExitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _process?.Dispose();
        _process = null;
    }

    private async Task StartProcessAsync()
    {
        var dll = Path.Combine(ServiceDirectory, "PushService.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = ServiceDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        ConfigureEnvironment(start.Environment);

        var generation = Interlocked.Increment(ref _generation);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var startLine = $"PushService node {NodeId} started with the ";
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data, "", startLine, started);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, "[stderr] ", startLine, started);
        process.Exited += (_, _) =>
        {
            AppendLine($"[test] {NodeId} process exited (generation {generation}).");
            exited.TrySetResult();
        };
        _exited = exited;
        if (!process.Start())
        {
            throw new InvalidOperationException($"dotnet {dll} did not start.");
        }
        _process = process;
        AppendLine($"[test] {NodeId} started as pid {process.Id} on {Address} (generation {generation}).");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Task? first = null;
        try
        {
            first = await Task.WhenAny(started.Task, exited.Task).WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            // Reported below with the output so far.
        }
        if (first != started.Task)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: false);
                await exited.Task.WaitAsync(ExitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            // Output read asynchronously may trail the exit a little; what is there explains most starts.
            throw new InvalidOperationException(
                $"Node {NodeId} did not log its start-up line within {StartTimeout.TotalSeconds} s "
                + $"({(first == exited.Task ? "the process exited" : "timed out")}).{Environment.NewLine}{Tail(60)}");
        }
    }

    private void OnLine(string? line, string marker, string startLine, TaskCompletionSource started)
    {
        if (line is null)
        {
            return;
        }
        AppendLine(marker + line);
        if (line.Contains(startLine, StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    private void AppendLine(string line)
    {
        Log.Add(line);
        if (_logFile is not null)
        {
            lock (_logFileGate)
            {
                File.AppendAllText(_logFile, line + Environment.NewLine);
            }
        }
        if (Environment.GetEnvironmentVariable("PUSH_TEST_LOGS") == "1")
        {
            Console.WriteLine($"[{NodeId}] {line}");
        }
    }

    private void ConfigureEnvironment(IDictionary<string, string?> environment)
    {
        // Nothing inherited from the test host may configure the node: only what the test says.
        foreach (var key in environment.Keys.ToList())
        {
            if (key.StartsWith("Push__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Push:", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || key.StartsWith("Logging__", StringComparison.OrdinalIgnoreCase)
                || key.Equals("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase) || key.Equals("DOTNET_URLS", StringComparison.OrdinalIgnoreCase))
            {
                environment.Remove(key);
            }
        }
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["ASPNETCORE_URLS"] = Url.ToString().TrimEnd('/');
        // One line per event with a timestamp, so logs can be lined up with the test's own record.
        environment["Logging__Console__FormatterName"] = "simple";
        environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled";
        environment["Push__NodeId"] = NodeId;
        foreach (var (key, value) in _settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value ?? "";
        }
    }

    private async Task WaitForExitAsync()
    {
        try
        {
            await _exited.Task.WaitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Node {NodeId} did not exit within {ExitTimeout.TotalSeconds} s.{Environment.NewLine}{Tail()}");
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    internal static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    internal static string FindServiceDirectory()
    {
        // tests/PushService.Tests/bin/{Configuration}/net10.0/ → src/PushService/bin/{Configuration}/net10.0/
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent?.Name ?? "Debug";
        var directory = Path.Combine(RepositoryPaths.ServiceProject, "bin", configuration, framework);
        if (!File.Exists(Path.Combine(directory, "PushService.dll")))
        {
            throw new InvalidOperationException(
                $"The service is not built: {Path.Combine(directory, "PushService.dll")} does not exist. "
                + $"Build the test project ('dotnet build tests/PushService.Tests -c {configuration}'), which builds src/PushService through its project reference.");
        }
        return directory;
    }
}
