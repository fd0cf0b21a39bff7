using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PushService.Client;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// The README's deploy/local/cluster.sh, as an operator runs it: up, a publish through its nginx
/// reaching a subscriber, status, and down stopping exactly what up started.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LocalClusterScriptTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("push-cluster-sh-").FullName;

    [Fact]
    public async Task UpServesThroughNginxStatusReportsAndDownStopsEverythingItStarted()
    {
        var (nginxPort, nodePort, redisPort) = (FreePort.Next(), FreeRange(2), FreePort.Next());
        var environment = new Dictionary<string, string>
        {
            ["CLUSTER_DIR"] = _folder,
            ["CLUSTER_NODES"] = "2",
            ["CLUSTER_PORT"] = nginxPort.ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_NODE_PORT"] = nodePort.ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_REDIS_PORT"] = redisPort.ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_DLL"] = Path.Combine(ServiceProcess.FindServiceDirectory(), "PushService.dll"),
            ["CLUSTER_STOP_TIMEOUT"] = "15",
        };
        try
        {
            var up = await RunAsync("up", environment);
            Assert.True(up.ExitCode == 0, up.Output);
            var secrets = File.ReadAllLines(Path.Combine(_folder, "secrets.env")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            var balancer = new Uri($"http://127.0.0.1:{nginxPort}");

            await using var client = new PushClient(new PushClientOptions
            {
                Url = balancer,
                AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.Create(
                    new System.Security.Claims.ClaimsIdentity([new("sub", "local-user")]), DateTime.UtcNow.AddHours(1), secrets["Push__Jwt__SigningKey"])),
            });
            var inbox = new Inbox<Notification>();
            using var _ = client.OnAny(inbox.Add);
            await client.StartAsync().DefaultTimeout();
            using var publisher = new HttpClient { BaseAddress = balancer };
            publisher.DefaultRequestHeaders.Add("X-Api-Key", secrets["Push__ApiKeys__0__Key"]);
            var id = await publisher.PublishAsync(new { type = "t", users = new[] { "local-user" } });
            await inbox.WaitForAsync(n => n.Id == id);

            var status = await RunAsync("status", environment);
            Assert.Equal(0, status.ExitCode);
            Assert.Equal(4, status.Output.Split('\n').Count(l => l.Contains(" yes ", StringComparison.Ordinal)));
            Assert.Contains("/healthz/ready 200", status.Output, StringComparison.Ordinal);
        }
        finally
        {
            var pids = Directory.GetFiles(_folder, "*.pid").Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture)).ToList();
            var down = await RunAsync("down", environment);
            Assert.True(down.ExitCode == 0, down.Output);
            Assert.NotEmpty(pids);
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"pid {pid} still runs after down"));
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string verb, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.Root, "deploy", "local", "cluster.sh"), verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        return (process.ExitCode, await output + await errors);
    }

    /// <summary>The first of <paramref name="count"/> consecutive free loopback ports.</summary>
    private static int FreeRange(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var first = FreePort.Next();
            if (Enumerable.Range(1, count - 1).All(i => IsFree(first + i)))
            {
                return first;
            }
        }
        throw new InvalidOperationException($"No {count} consecutive free ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder left behind is harmless.
        }
    }
}
