using System.Diagnostics;
using StackExchange.Redis;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, without persistence, started for the tests
/// and killed by its PID afterwards. A missing binary fails the run: the README's test command
/// installs it, and a silent skip would hide that it did not.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private Process? _process;

    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis connection string for <c>Push:Redis</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public async Task InitializeAsync()
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(
            "redis-server was not found on PATH. Run the README test command (./test.sh), which installs it, or 'apt-get install redis-server'.");
        for (var attempt = 0; ; attempt++)
        {
            Port = FreePort.Next();
            _process = Process.Start(new ProcessStartInfo(binary)
            {
                ArgumentList = { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "notice" },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
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
                return;
            }
            await DisposeAsync();
            if (attempt == 2)
            {
                throw new InvalidOperationException("redis-server did not answer PING after three starts.");
            }
        }
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
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process?.Dispose();
        _process = null;
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
