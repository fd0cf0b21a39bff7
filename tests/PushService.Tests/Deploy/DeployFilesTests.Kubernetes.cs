using System.Globalization;
using Microsoft.AspNetCore.Http.Connections;
using PushService.Configuration;
using PushService.Protocol;

namespace PushService.Tests.Deploy;

/// <summary>deploy/kubernetes.</summary>
public sealed partial class DeployFilesTests
{
    [Fact]
    public void KubernetesFilesAreNamespaceAgnosticAndComplete()
    {
        var objects = DeployFiles.KubernetesObjects();
        foreach (var o in objects)
        {
            Assert.False(string.IsNullOrEmpty(o["apiVersion"].String), $"{o} has no apiVersion");
            Assert.False(string.IsNullOrEmpty(o["metadata"]["name"].String), $"{o} has no name");
            Assert.False(o["metadata"].Has("namespace"), $"{o} names a namespace; the files must apply to any namespace");
        }
        var kinds = objects.Select(o => o["kind"].String).ToHashSet();
        foreach (var kind in new[] { "Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret" })
        {
            Assert.Contains(kind, kinds);
        }

        // kustomization.yaml applies every manifest except the examples, and only files that exist.
        var kustomization = DeployFiles.LoadYaml(DeployFiles.PathOf("kubernetes", "kustomization.yaml")).Single();
        var resources = kustomization["resources"].Items.Select(r => r.String).Order(StringComparer.Ordinal).ToList();
        var manifests = Directory.GetFiles(DeployFiles.PathOf("kubernetes"), "*.yaml").Select(f => Path.GetFileName(f))
            .Where(f => f != "kustomization.yaml" && !f.EndsWith(".example.yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(manifests, resources);
    }

    [Fact]
    public void ProbesAndHealthChecksUseTheHealthEndpoints()
    {
        var container = Assert.Single(DeployFiles.KubernetesObject("Deployment")["spec"]["template"]["spec"]["containers"].Items);
        Assert.Equal(ReadyPath, container["readinessProbe"]["httpGet"]["path"].String);
        Assert.Equal(LivePath, container["livenessProbe"]["httpGet"]["path"].String);
        if (container.Find("startupProbe") is { } startup)
        {
            Assert.Equal(LivePath, startup["httpGet"]["path"].String);
        }
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var probePort = container[probe]["httpGet"]["port"].String;
            Assert.Contains(container["ports"].Items, p => p["name"].String == probePort || p["containerPort"].String == probePort);
        }

        // The image checks liveness: a Redis outage must not mark every container unhealthy.
        var healthcheck = Assert.Single(Dockerfile.Parse(File.ReadAllText(DeployFiles.PathOf("Dockerfile"))), i => i.Keyword == "HEALTHCHECK");
        Assert.Contains($"http://127.0.0.1:{ContainerPort().ToString(CultureInfo.InvariantCulture)}{LivePath}", healthcheck.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void TheIngressIsStickyAndKeepsLongConnectionsOpen()
    {
        var ingress = DeployFiles.KubernetesObject("Ingress");
        var annotations = ingress["metadata"]["annotations"];
        string Annotation(string name) => annotations[$"nginx.ingress.kubernetes.io/{name}"].String;

        Assert.Equal("cookie", Annotation("affinity"));
        Assert.False(string.IsNullOrEmpty(Annotation("session-cookie-name")));
        // Longer than SignalR's long poll (its pings, every 15 s, are shorter still).
        var longPoll = new HttpConnectionDispatcherOptions().LongPolling.PollTimeout;
        Assert.True(TimeSpan.FromSeconds(int.Parse(Annotation("proxy-read-timeout"), CultureInfo.InvariantCulture)) > longPoll);
        Assert.True(TimeSpan.FromSeconds(int.Parse(Annotation("proxy-send-timeout"), CultureInfo.InvariantCulture)) > longPoll);
        Assert.Equal("off", Annotation("proxy-buffering"));
        Assert.True(DeployFiles.NginxSize(Annotation("proxy-body-size")) >= new LimitsOptions().MaxRequestBodyBytes);

        var paths = ingress["spec"]["rules"].Items.SelectMany(r => r["http"]["paths"].Items).Select(p => p["path"].String).ToList();
        Assert.Contains(HubProtocolNames.HubPath, paths);
        Assert.Contains("/api", paths);
        Assert.DoesNotContain("/", paths);
    }

    [Fact]
    public void ServicePdbAndAutoscalerTargetTheDeployment()
    {
        var deployment = DeployFiles.KubernetesObject("Deployment");
        var podLabels = deployment["spec"]["template"]["metadata"]["labels"].Entries.ToDictionary(e => e.Key, e => e.Value.String);
        void Selects(YamlNode selector)
        {
            foreach (var (key, value) in selector.Entries)
            {
                Assert.True(podLabels.GetValueOrDefault(key) == value.String, $"{selector}: {key}={value.String} selects no pod of the Deployment");
            }
        }
        Selects(deployment["spec"]["selector"]["matchLabels"]);
        Selects(DeployFiles.KubernetesObject("Service", "pushservice")["spec"]["selector"]);
        Selects(DeployFiles.KubernetesObject("PodDisruptionBudget")["spec"]["selector"]["matchLabels"]);

        var hpa = DeployFiles.KubernetesObject("HorizontalPodAutoscaler")["spec"];
        Assert.Equal("Deployment", hpa["scaleTargetRef"]["kind"].String);
        Assert.Equal(deployment["metadata"]["name"].String, hpa["scaleTargetRef"]["name"].String);
        Assert.True(hpa["minReplicas"].Int >= 2, "one pod cannot drain into another");
        Assert.True(hpa["maxReplicas"].Int >= hpa["minReplicas"].Int);
        var pdb = DeployFiles.KubernetesObject("PodDisruptionBudget")["spec"];
        Assert.True(pdb.Find("maxUnavailable")?.Int is 1 || pdb.Find("minAvailable")?.Int < hpa["minReplicas"].Int, "the PDB must let one pod go at a time");
    }

    private static IEnumerable<YamlNode> IngressBackends() =>
        DeployFiles.KubernetesObject("Ingress")["spec"]["rules"].Items
            .SelectMany(r => r["http"]["paths"].Items)
            .Select(p => p["backend"]["service"]);

    /// <summary>What a pod's environment holds: the Deployment's env and the Secret's keys.</summary>
    private static Dictionary<string, string?> KubernetesEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (_, name, value) in KubernetesVariables())
        {
            environment[name] = value;
        }
        return environment;
    }

    private static IEnumerable<(string Source, string Name, string? Value)> KubernetesVariables()
    {
        foreach (var o in DeployFiles.KubernetesObjects())
        {
            if (o["kind"].String == "Secret")
            {
                foreach (var (key, value) in o["stringData"].Entries)
                {
                    yield return (o.Path.Split('#')[0], key, value.Value as string);
                }
            }
            if (o["kind"].String == "Deployment")
            {
                foreach (var container in o["spec"]["template"]["spec"]["containers"].Items)
                {
                    foreach (var variable in container.Find("env")?.Items ?? [])
                    {
                        yield return (o.Path.Split('#')[0], variable["name"].String, variable.Find("value")?.String);
                    }
                }
            }
        }
    }
}
