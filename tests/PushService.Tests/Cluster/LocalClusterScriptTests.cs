using System.Globalization;
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
        var (nginxPort, nodePort, redisPort) = (FreePort.Next(), FreePort.Range(2), FreePort.Next());
        var script = new ClusterScript(_folder, new Dictionary<string, string>
        {
            ["CLUSTER_NODES"] = "2",
            ["CLUSTER_PORT"] = nginxPort.ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_NODE_PORT"] = nodePort.ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_REDIS_PORT"] = redisPort.ToString(CultureInfo.InvariantCulture),
            ["CLUSTER_DLL"] = Path.Combine(ServiceProcess.ServiceDirectory, "PushService.dll"),
            ["CLUSTER_STOP_TIMEOUT"] = "15",
        });
        try
        {
            var up = await script.TryRunAsync("up");
            Assert.True(up.ExitCode == 0, up.Output);
            var secrets = File.ReadAllLines(Path.Combine(_folder, "secrets.env")).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
            Assert.Contains(secrets["Push__ApiKeys__0__Key"], up.Output, StringComparison.Ordinal);
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

            var status = await script.TryRunAsync("status");
            Assert.Equal(0, status.ExitCode);
            Assert.Equal(4, status.Output.Split('\n').Count(l => l.Contains(" yes ", StringComparison.Ordinal)));
            Assert.Contains("/healthz/ready 200", status.Output, StringComparison.Ordinal);

            // The operator's nginx config, with only the upstream servers, listen address and access log replaced.
            var rendered = await File.ReadAllTextAsync(Path.Combine(_folder, "nginx", "pushservice.conf"));
            Assert.Contains($"    server 127.0.0.1:{nodePort} max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:{nodePort + 1} max_fails=1 fail_timeout=5s;\n", rendered, StringComparison.Ordinal);
            Assert.DoesNotContain("10.0.0.1", rendered, StringComparison.Ordinal);
            Assert.Contains($"listen 127.0.0.1:{nginxPort};", rendered, StringComparison.Ordinal);
            Assert.Contains($"access_log {_folder}/nginx-access.log push_paths;", rendered, StringComparison.Ordinal);
            Assert.Contains("hash $push_affinity consistent;", rendered, StringComparison.Ordinal);
            Assert.Equal(
                File.ReadAllLines(LoadBalancer.TemplatePath).Where(l => !l.TrimStart().StartsWith("server 10.", StringComparison.Ordinal)
                    && !l.TrimStart().StartsWith("listen ", StringComparison.Ordinal) && !l.TrimStart().StartsWith("access_log ", StringComparison.Ordinal)),
                rendered.Split('\n').SkipLast(1).Where(l => !l.TrimStart().StartsWith("server 127.", StringComparison.Ordinal)
                    && !l.TrimStart().StartsWith("listen ", StringComparison.Ordinal) && !l.TrimStart().StartsWith("access_log ", StringComparison.Ordinal)));

            // A wrong node number is refused, and nothing is signalled.
            var wrong = await script.TryRunAsync("node", "stop", "3");
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("no node '3'", wrong.Output, StringComparison.Ordinal);
        }
        finally
        {
            var pids = Directory.GetFiles(_folder, "*.pid").Select(f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture)).ToList();
            var down = await script.TryRunAsync("down");
            Assert.True(down.ExitCode == 0, down.Output);
            Assert.NotEmpty(pids);
            Assert.All(pids, pid => Assert.False(ClusterScript.Runs(pid), $"pid {pid} still runs after down"));
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
