using System.Net;
using PushService.Tests.Infrastructure;
using StackExchange.Redis;

namespace PushService.Tests.Deploy;

/// <summary>docker-compose.yml and the Dockerfile.</summary>
public sealed partial class DeployFilesTests
{
    [Fact]
    public void ComposeRunsRedisThreeNodesAndNginx()
    {
        var compose = DeployFiles.Compose;
        var services = compose["services"];
        var nodes = DeployFiles.ComposeNodes(compose);
        Assert.Equal(["node1", "node2", "node3"], nodes.Select(n => n.Key));
        Assert.StartsWith("redis:", services["redis"]["image"].String, StringComparison.Ordinal);
        Assert.StartsWith("nginx:", services["nginx"]["image"].String, StringComparison.Ordinal);

        foreach (var (name, node) in nodes)
        {
            // The build context is the repository root, and the Dockerfile is this one.
            var context = Path.GetFullPath(Path.Combine(DeployFiles.Directory, node["build"]["context"].String));
            Assert.Equal(Path.TrimEndingDirectorySeparator(RepositoryPaths.Root), Path.TrimEndingDirectorySeparator(context));
            Assert.True(File.Exists(Path.Combine(context, node["build"]["dockerfile"].String)), $"{name}: Dockerfile not found");
            Assert.Equal(".env", node["env_file"].String);
            Assert.Equal("service_healthy", node["depends_on"]["redis"]["condition"].String);
            Assert.False(node.Has("ports"), $"{name} publishes a port on the host; only nginx should");
        }
        Assert.False(services["redis"].Has("ports"), "Redis is published on the host");
        Assert.True(File.Exists(DeployFiles.PathOf(".env.example")), "deploy/.env.example is missing");

        // nginx starts after every node and runs the operator's config from deploy/nginx.
        var nginx = services["nginx"];
        Assert.Equal(nodes.Select(n => n.Key).Order(), nginx["depends_on"].Entries.Select(d => d.Key).Order());
        var mount = nginx["volumes"].Items.Select(v => v.String).Single(v => v.Contains("pushservice.conf", StringComparison.Ordinal));
        Assert.StartsWith("./nginx/pushservice.conf:", mount, StringComparison.Ordinal);
        var script = string.Join("\n", nginx["command"].Items.Select(i => i.String));
        Assert.Contains(mount.Split(':')[1], script, StringComparison.Ordinal);
        Assert.Contains("\"server node\" n \":\"", script, StringComparison.Ordinal);
        // The awk program numbers the config's upstream servers node1, node2, ...: one per node.
        Assert.Equal(nodes.Count, DeployFiles.NginxUpstreamServers(DeployFiles.NginxConfig).Count);
    }

    [Fact]
    public void ComposeNodesShareOneRedisAndHaveTheirOwnIds()
    {
        var compose = DeployFiles.Compose;
        var nodes = DeployFiles.ComposeNodes(compose);
        var environments = nodes.Select(n => DeployFiles.ComposeEnvironment(n.Value)).ToList();
        var redis = environments.Select(e => e.GetValueOrDefault("Push__Redis")).Distinct().ToList();
        Assert.True(redis is [{ Length: > 0 }], $"nodes must share one Push__Redis, found: {string.Join(", ", redis)}");

        var endpoints = ConfigurationOptions.Parse(redis[0]!).EndPoints;
        var endpoint = Assert.IsType<DnsEndPoint>(Assert.Single(endpoints));
        Assert.Equal("redis", endpoint.Host);
        Assert.True(compose["services"].Has(endpoint.Host), "Push__Redis does not name the compose Redis service");
        Assert.DoesNotContain("--port", compose["services"]["redis"]["command"].Items.Select(i => i.String));
        Assert.Equal(6379, endpoint.Port);

        var ids = environments.Select(e => e.GetValueOrDefault("Push__NodeId")).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void TheDockerfileBuildsInStagesAndRunsAsNonRoot()
    {
        var instructions = Dockerfile.Parse(File.ReadAllText(DeployFiles.PathOf("Dockerfile")));
        var froms = instructions.Where(i => i.Keyword == "FROM").ToList();
        Assert.True(froms.Count >= 2, "the Dockerfile must be multi-stage");
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:", froms[0].Arguments, StringComparison.Ordinal);
        Assert.Contains("mcr.microsoft.com/dotnet/aspnet:", froms[^1].Arguments, StringComparison.Ordinal);
        var final = froms[^1].Stage;
        var runtime = instructions.Where(i => i.Stage == final).ToList();

        var user = Assert.Single(runtime, i => i.Keyword == "USER").Arguments;
        Assert.DoesNotContain(user.Split(':')[0], new[] { "root", "0" });
        Assert.Contains(runtime, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=", StringComparison.Ordinal));
        Assert.Equal("[\"dotnet\", \"PushService.dll\"]", Assert.Single(runtime, i => i.Keyword == "ENTRYPOINT").Arguments);
        // A health check for Docker and compose (Kubernetes ignores it and probes over HTTP).
        Assert.Single(runtime, i => i.Keyword == "HEALTHCHECK");

        // Restore from the project file and the central props before the sources are copied.
        var build = instructions.Where(i => i.Stage == froms[0].Stage).ToList();
        var copies = build.Where(i => i.Keyword == "COPY").Select(i => i.Arguments).ToList();
        foreach (var source in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", "src/PushService/PushService.csproj", "src/Shared/", "src/PushService/" })
        {
            Assert.Contains(copies, c => c.Split(' ').SkipLast(1).Contains(source));
            Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, source)) || Directory.Exists(Path.Combine(RepositoryPaths.Root, source)), $"{source} is not in the repository");
        }
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        var sources = build.FindIndex(i => i.Keyword == "COPY" && i.Arguments.StartsWith("src/PushService/ ", StringComparison.Ordinal));
        Assert.True(restore >= 0 && restore < sources, "dotnet restore must run before the sources are copied");
        Assert.Contains(build, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal)
            && i.Arguments.Contains("rm -f /app/appsettings.Development.json", StringComparison.Ordinal));

        // bin/ and obj/ of the machine that builds must not reach the image's build.
        var ignored = File.ReadAllLines(DeployFiles.PathOf("Dockerfile.dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains("deploy/.env", ignored);
    }
}
