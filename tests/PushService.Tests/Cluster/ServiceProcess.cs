using System.Globalization;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// One service node of a cluster that <c>deploy/local/cluster.sh</c> runs: <c>dotnet
/// PushService.dll</c> from the service's build output, on a loopback port of its own. Unlike
/// <see cref="PushNode"/> it can be killed with SIGKILL mid-request and started again on the same
/// port. Every signal goes through the script (<c>node stop|kill|start N</c>), which acts only on
/// the PID it recorded; its output is <c>nodeN.log</c> in the cluster's folder.
/// </summary>
public sealed class ServiceProcess
{
    private readonly ClusterScript _script;
    private readonly string _number;

    internal ServiceProcess(ClusterScript script, int number, int port)
    {
        _script = script;
        _number = number.ToString(CultureInfo.InvariantCulture);
        NodeId = "node" + _number;
        Port = port;
    }

    public string NodeId { get; }

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>The loopback address as nginx and access logs write it.</summary>
    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The current process id, or null when it is not running.</summary>
    public int? Pid => _script.LivePid(NodeId, "PushService.dll");

    public bool IsRunning => Pid is not null;

    /// <summary>The service's build output, in the configuration this test assembly was built in.</summary>
    public static string ServiceDirectory { get; } = FindServiceDirectory();

    /// <summary>SIGKILL: the node dies at once, mid-request, without any shutdown code running.</summary>
    public Task KillAsync() => _script.RunAsync("node", "kill", _number);

    /// <summary>
    /// SIGTERM: the host's graceful shutdown. Returns once the process exited; fails if the
    /// script had to SIGKILL it (<c>CLUSTER_STOP_TIMEOUT</c>).
    /// </summary>
    public Task TerminateAsync() => _script.RunAsync("node", "stop", _number);

    /// <summary>Starts the node again on the same port, after <see cref="KillAsync"/> or <see cref="TerminateAsync"/>; returns once it is ready.</summary>
    public async Task RestartAsync()
    {
        if (Pid is { } pid)
        {
            throw new InvalidOperationException($"Node {NodeId} (pid {pid}) is still running; kill or terminate it first.");
        }
        await _script.RunAsync("node", "start", _number);
    }

    /// <summary>The last lines of the node's log (across restarts), for failure messages.</summary>
    public string Tail(int lines = 40)
        => $"{NodeId} ({Address}, {(Pid is { } pid ? $"pid {pid}" : "not running")}): " + _script.Tail(NodeId + ".log", lines);

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
