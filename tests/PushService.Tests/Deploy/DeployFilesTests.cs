using System.Globalization;
using System.Net;
using PushService.Lifecycle;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Deploy;

/// <summary>
/// deploy/ is checked without Docker or Kubernetes: the files parse, name only settings the
/// service binds, agree on the port and the health endpoints, and give a stopping node time to drain.
/// </summary>
public sealed partial class DeployFilesTests
{
    private const string LivePath = "/healthz/live";
    private const string ReadyPath = "/healthz/ready";

    [Fact]
    public void EveryYamlFileParses()
    {
        var files = Directory.GetFiles(DeployFiles.Directory, "*.y*ml", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("docker-compose.yml", StringComparison.Ordinal));
        Assert.True(files.Length >= 8, $"expected compose and the Kubernetes files, found {files.Length}");
        foreach (var file in files)
        {
            var documents = DeployFiles.LoadYaml(file);
            Assert.True(documents.Any(d => d.Value is Dictionary<object, object?>), $"{file} holds no YAML mapping");
        }
    }

    [Fact]
    public void TheSettingsCatalogueComesFromTheOptionsClasses()
    {
        // A catalogue that reflection left empty would let every other check pass vacuously.
        foreach (var key in new[] { "Push:Redis", "Push:RedisPrefix", "Push:NodeId", "Push:ApiKeys:{n}:Name", "Push:ApiKeys:{n}:Key", "Push:Jwt:SigningKey",
            "Push:Jwt:Authority", "Push:Limits:MaxRequestBodyBytes", "Push:History:Ttl", "Push:Drain:Timeout", "Push:Drain:Delay", "Push:Presence:Lease" })
        {
            Assert.Contains(key, PushSettings.Keys.Keys);
        }
        Assert.DoesNotContain("Push:UsesRedis", PushSettings.Keys.Keys);
        Assert.Equal(("Push:ApiKeys:{n}:Key", typeof(string)), PushSettings.Find("Push__ApiKeys__12__Key"));
        Assert.Equal(("Push:Drain:Timeout", typeof(TimeSpan)), PushSettings.Find("Push__Drain__Timeout"));
        Assert.Null(PushSettings.Find("Push__Drain__Timeut"));
        Assert.Null(PushSettings.Find("Push__ApiKeys__x__Key"));
        Assert.NotNull(PushSettings.ConversionError(typeof(TimeSpan), "30s"));
        Assert.Null(PushSettings.ConversionError(typeof(TimeSpan), "00:00:30"));
    }

    [Fact]
    public void EveryPushVariableIsARealSetting()
    {
        var problems = new List<string>();
        var checkedCount = 0;
        foreach (var (source, name, value) in AllPushVariables())
        {
            checkedCount++;
            if (PushSettings.Find(name) is not { } setting)
            {
                problems.Add($"{source}: {name} is not a setting the service binds");
            }
            else if (value is not null && PushSettings.ConversionError(setting.Type, value) is { } error)
            {
                problems.Add($"{source}: {name}: {error}");
            }
        }
        Assert.True(checkedCount >= 15, $"only {checkedCount} Push__ variables found in deploy/");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void DeployedSettingsPassTheServicesOwnValidation()
    {
        foreach (var (source, environment) in NodeEnvironments())
        {
            var failures = PushSettings.ValidationFailures(PushSettings.ToConfiguration(environment));
            Assert.True(failures.Count == 0, $"{source}: {string.Join("; ", failures)}");
        }
    }

    [Fact]
    public void PortsAgreeWithTheContainerPort()
    {
        var port = ContainerPort();
        var dockerfile = Dockerfile.Parse(File.ReadAllText(DeployFiles.PathOf("Dockerfile")));
        var final = dockerfile.Max(i => i.Stage);
        Assert.Contains(dockerfile, i => i.Keyword == "EXPOSE" && i.Stage == final && i.Arguments == port.ToString(CultureInfo.InvariantCulture));

        // nginx forwards to that port, and compose publishes the port nginx listens on.
        var config = DeployFiles.NginxConfig;
        Assert.All(DeployFiles.NginxUpstreamServers(config), s => Assert.Equal(port, s.Port));
        var listen = Assert.Single(DeployFiles.NginxListenPorts(config));
        var compose = DeployFiles.Compose;
        var published = compose["services"]["nginx"]["ports"].Items.Select(p => p.String).ToList();
        Assert.Contains(published, p => p.EndsWith(":" + listen.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        foreach (var (name, node) in DeployFiles.ComposeNodes(compose))
        {
            Assert.Equal([port.ToString(CultureInfo.InvariantCulture)], node["expose"].Items.Select(e => e.String));
            var urls = DeployFiles.ComposeEnvironment(node);
            Assert.False(urls.ContainsKey("ASPNETCORE_URLS") || urls.ContainsKey("ASPNETCORE_HTTP_PORTS"), $"{name} moves the port away from the image's");
        }

        // Kubernetes: the container port, the Service's target, the Ingress backend, the scrape annotation.
        var deployment = DeployFiles.KubernetesObject("Deployment");
        var container = Assert.Single(deployment["spec"]["template"]["spec"]["containers"].Items);
        var containerPort = Assert.Single(container["ports"].Items);
        Assert.Equal(port, containerPort["containerPort"].Int);
        var portName = containerPort["name"].String;
        var service = DeployFiles.KubernetesObject("Service", "pushservice");
        var servicePort = Assert.Single(service["spec"]["ports"].Items);
        var target = servicePort["targetPort"].String;
        Assert.True(target == portName || target == port.ToString(CultureInfo.InvariantCulture), $"Service targetPort '{target}' is not the container port");
        foreach (var backend in IngressBackends())
        {
            Assert.Equal(service["metadata"]["name"].String, backend["name"].String);
            var backendPort = backend["port"];
            Assert.True(backendPort.Find("name")?.String == servicePort["name"].String || backendPort.Find("number")?.Int == servicePort["port"].Int,
                $"{backendPort} is not a port of the Service");
        }
        Assert.Equal(port, deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"].Int);
    }

    [Fact]
    public async Task TheHealthAndMetricsPathsAnswerOnARealNode()
    {
        var annotations = DeployFiles.KubernetesObject("Deployment")["spec"]["template"]["metadata"]["annotations"];
        await using var node = await PushNode.StartAsync();
        using var http = new HttpClient { BaseAddress = node.Url };
        foreach (var path in new[] { LivePath, ReadyPath, annotations["prometheus.io/path"].String })
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative)).DefaultTimeout();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public void StoppingGivesTheDrainTime()
    {
        // Kubernetes: SIGKILL only after the node is gone. The drain's timeout bounds the whole
        // drain, its delay included; the host then has a few seconds for the rest of shutdown.
        var deployment = DeployFiles.KubernetesObject("Deployment");
        var drain = Drain(KubernetesEnvironment());
        var exit = drain.Timeout + DrainOptions.ShutdownAfterDrain;
        var grace = TimeSpan.FromSeconds(deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].Int);
        Assert.True(grace > exit, $"terminationGracePeriodSeconds {grace.TotalSeconds} must exceed Push:Drain:Timeout + {DrainOptions.ShutdownAfterDrain.TotalSeconds} s = {exit.TotalSeconds} s");
        // The delay is spent out of the timeout: clients need time left to move.
        Assert.True(drain.Delay < drain.Timeout, "Push__Drain__Delay must be less than Push__Drain__Timeout");
        // Behind a Service the endpoint must disappear before clients are asked to reconnect.
        Assert.True(drain.Delay > TimeSpan.Zero, "Kubernetes needs Push__Drain__Delay > 0");

        // Compose: "docker stop" waits stop_grace_period (10 s when unset) before SIGKILL.
        foreach (var (name, node) in DeployFiles.ComposeNodes(DeployFiles.Compose))
        {
            var stop = node.Find("stop_grace_period") is { } period ? DeployFiles.ComposeDuration(period.String) : TimeSpan.FromSeconds(10);
            var nodeDrain = Drain(DeployFiles.ComposeEnvironment(node));
            var nodeExit = nodeDrain.Timeout + DrainOptions.ShutdownAfterDrain;
            Assert.True(stop > nodeExit, $"{name}: stop_grace_period {stop.TotalSeconds} s must exceed Push:Drain:Timeout + {DrainOptions.ShutdownAfterDrain.TotalSeconds} s = {nodeExit.TotalSeconds} s");
        }
    }

    [Fact]
    public void SecretsStayOutOfTheFilesAndTheImage()
    {
        static bool IsSecret(string name) => name.StartsWith("Push__ApiKeys__", StringComparison.Ordinal) && name.EndsWith("__Key", StringComparison.Ordinal)
            || name == "Push__Jwt__SigningKey";

        foreach (var (source, name, value) in AllPushVariables())
        {
            if (IsSecret(name))
            {
                Assert.True(source.StartsWith(".env.example", StringComparison.Ordinal) || source.StartsWith("kubernetes/secret.example.yaml", StringComparison.Ordinal),
                    $"{source}: {name} is a secret; it belongs in deploy/.env or the Kubernetes Secret");
                Assert.True(string.IsNullOrEmpty(value), $"{source}: {name} has a value; examples hold empty placeholders only");
            }
        }
        // The Deployment reads the secret settings from the Secret the example describes.
        var container = Assert.Single(DeployFiles.KubernetesObject("Deployment")["spec"]["template"]["spec"]["containers"].Items);
        var secretRef = Assert.Single(container["envFrom"].Items)["secretRef"]["name"].String;
        Assert.Single(DeployFiles.KubernetesObjects(), o => o["kind"].String == "Secret" && o["metadata"]["name"].String == secretRef);
        // An empty Push__Redis would turn every pod into a separate in-memory node.
        Assert.False(string.IsNullOrEmpty(KubernetesEnvironment().GetValueOrDefault("Push__Redis")), "the Kubernetes settings need Push__Redis");
    }

    private static int ContainerPort()
    {
        var instructions = Dockerfile.Parse(File.ReadAllText(DeployFiles.PathOf("Dockerfile")));
        var final = instructions.Max(i => i.Stage);
        var ports = instructions.Where(i => i.Keyword == "ENV" && i.Stage == final).SelectMany(Dockerfile.EnvVariables)
            .Single(v => v.Key == "ASPNETCORE_HTTP_PORTS").Value;
        return int.Parse(ports, CultureInfo.InvariantCulture);
    }

    private static DrainOptions Drain(IEnumerable<KeyValuePair<string, string?>> environment) =>
        PushSettings.Bind<DrainOptions>(PushSettings.ToConfiguration(environment), DrainOptions.SectionName);

    private static IEnumerable<(string Source, Dictionary<string, string?> Environment)> NodeEnvironments()
    {
        foreach (var (name, node) in DeployFiles.ComposeNodes(DeployFiles.Compose))
        {
            yield return ($"docker-compose.yml {name}", DeployFiles.ComposeEnvironment(node));
        }
        yield return ("kubernetes", KubernetesEnvironment());
    }

    /// <summary>Every Push__ variable deploy/ sets or shows, with where it is and its value (null: not a literal).</summary>
    private static IEnumerable<(string Source, string Name, string? Value)> AllPushVariables() =>
        AllVariables().Where(v => v.Name.StartsWith("Push__", StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<(string Source, string Name, string? Value)> AllVariables()
    {
        foreach (var (name, node) in DeployFiles.ComposeNodes(DeployFiles.Compose))
        {
            foreach (var (key, value) in DeployFiles.ComposeEnvironment(node))
            {
                yield return ($"docker-compose.yml {name}", key, value);
            }
        }
        foreach (var (name, value, commented) in DeployFiles.EnvFile(DeployFiles.PathOf(".env.example"), includeCommented: true))
        {
            yield return (commented ? ".env.example (commented)" : ".env.example", name, value);
        }
        foreach (var variable in KubernetesVariables())
        {
            yield return variable;
        }
        foreach (var env in Dockerfile.Parse(File.ReadAllText(DeployFiles.PathOf("Dockerfile"))).Where(i => i.Keyword == "ENV"))
        {
            foreach (var (key, value) in Dockerfile.EnvVariables(env))
            {
                yield return ("Dockerfile", key, value);
            }
        }
    }
}
