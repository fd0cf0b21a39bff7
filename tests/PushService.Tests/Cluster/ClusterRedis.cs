using System.Globalization;

namespace PushService.Tests.Cluster;

/// <summary>
/// The redis-server of a cluster that <c>deploy/local/cluster.sh</c> runs, controlled through the
/// script (<c>redis stop|kill|start|pause|resume</c>) on its recorded PID.
/// </summary>
public sealed class ClusterRedis
{
    private readonly ClusterScript _script;

    internal ClusterRedis(ClusterScript script, int port, string options)
    {
        _script = script;
        Port = port;
        ConnectionString = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)},{options}";
    }

    public int Port { get; }

    /// <summary>The nodes' <c>Push:Redis</c>.</summary>
    public string ConnectionString { get; }

    public bool IsRunning => _script.LivePid("redis", "redis-server") is not null;

    /// <summary>SIGTERM: an operator's stop (with an append-only file, nothing is lost).</summary>
    public Task StopAsync() => _script.RunAsync("redis", "stop");

    /// <summary>SIGKILL: what an out-of-memory kill or a crash does.</summary>
    public Task KillAsync() => _script.RunAsync("redis", "kill");

    /// <summary>Starts the server again on the same port (with its AOF, if it keeps one); returns once it answers PING.</summary>
    public Task StartAsync() => _script.RunAsync("redis", "start");

    /// <summary>Kills the server and starts it again.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAsync();
    }

    /// <summary>SIGSTOP: the server stops answering but keeps its connections, as in a long stall.</summary>
    public Task PauseAsync() => _script.RunAsync("redis", "pause");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => _script.RunAsync("redis", "resume");

    public string Tail(int lines = 15) => _script.Tail("redis.log", lines);
}
