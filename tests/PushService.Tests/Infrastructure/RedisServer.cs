using System.Diagnostics;
using StackExchange.Redis;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, started for the tests and killed by its PID
/// afterwards, without persistence: a restart on the same port starts empty (the cluster tests get
/// persistence from deploy/local/cluster.sh). A missing binary fails the
/// run: the README's test command installs it, and a silent skip would hide that it did not.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("push-redis-").FullName;
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis connection string for <c>Push:Redis</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    public async Task InitializeAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            Port = FreePort.Next();
            if (await StartProcessAsync())
            {
                return;
            }
            if (attempt == 2)
            {
                throw new InvalidOperationException("redis-server did not answer PING after three starts.");
            }
        }
    }

    /// <summary>Kills the server (SIGKILL): what an out-of-memory kill or a crash does.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the server again, empty, on the same port.</summary>
    public async Task RestartAsync()
    {
        Kill();
        if (!await StartProcessAsync())
        {
            throw new InvalidOperationException($"redis-server did not restart on port {Port}.");
        }
    }

    /// <summary>SIGSTOP: the server stops answering but keeps its connections, as in a long stall.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Continue() => Signal("CONT");

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private async Task<bool> StartProcessAsync()
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(
            "redis-server was not found on PATH. Run the README test command (./test.sh), which installs it, or 'apt-get install redis-server'.");
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--dir", _dataDirectory, "--protected-mode", "yes", "--loglevel", "notice",
            "--appendonly", "no"])
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("redis-server exited before it was ready."));
            }
            else if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (await IsReadyAsync(ready.Task))
        {
            return true;
        }
        Kill();
        return false;
    }

    private async Task<bool> IsReadyAsync(Task ready)
    {
        try
        {
            // Another process may have taken the port between FreePort and the start.
            await ready.WaitAsync(TimeSpan.FromSeconds(10));
            await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port}");
            await connection.GetDatabase().PingAsync();
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or RedisConnectionException)
        {
            return false;
        }
    }

    public Task DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
        return Task.CompletedTask;
    }

    private static string? FindBinary()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "redis";
}
