using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// The nginx of a cluster that <c>deploy/local/cluster.sh</c> runs: the operator's config
/// <c>deploy/nginx/pushservice.conf</c> with only its upstream servers, listen address and access
/// log path replaced. Clients choose their node through the <c>push_affinity</c> cookie; a dead
/// node is skipped by nginx's passive health check.
/// </summary>
public sealed class LoadBalancer : IDisposable
{
    public const string AffinityCookie = "push_affinity";

    /// <summary>Added by cluster.sh's nginx.conf (not the operator config): which node answered.</summary>
    public const string UpstreamHeader = "X-Push-Upstream";

    private readonly ClusterScript _script;
    private readonly HttpClient _probe;

    internal LoadBalancer(ClusterScript script, int port)
    {
        _script = script;
        Port = port;
        // Cookies set by hand per request: no shared container between probes.
        _probe = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
    }

    public static string TemplatePath => Path.Combine(RepositoryPaths.Root, "deploy", "nginx", "pushservice.conf");

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public string AccessLogPath => Path.Combine(_script.Directory, "nginx-access.log");

    /// <summary>The operator config as the script rendered it for this cluster.</summary>
    public string ConfigPath => Path.Combine(_script.Directory, "nginx", "pushservice.conf");

    /// <summary>
    /// An affinity key that nginx sends to <paramref name="node"/> while every node is up, found
    /// by asking nginx (consistent hashing decides; the test does not reimplement it).
    /// </summary>
    public async Task<string> AffinityKeyForAsync(ServiceProcess node, string prefix, ISet<string>? taken = null)
    {
        for (var i = 0; i < 500; i++)
        {
            var key = $"{prefix}-{i.ToString(CultureInfo.InvariantCulture)}";
            if (taken?.Contains(key) == true)
            {
                continue;
            }
            if (await UpstreamForAsync(key) == node.Address)
            {
                taken?.Add(key);
                return key;
            }
        }
        throw new InvalidOperationException($"No affinity key '{prefix}-N' maps to {node.NodeId} ({node.Address}) in 500 tries.");
    }

    /// <summary>The node (host:port) that answers a request with this affinity key now.</summary>
    public async Task<string> UpstreamForAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz/live");
        request.Headers.Add("Cookie", $"{AffinityCookie}={key}");
        using var response = await _probe.SendAsync(request).DefaultTimeout();
        var upstream = response.Headers.TryGetValues(UpstreamHeader, out var values) ? values.First() : "";
        // After a retry nginx lists every node it tried: "a:1, b:2". The last one answered.
        return upstream.Split(',', StringSplitOptions.TrimEntries)[^1];
    }

    /// <summary>Makes a <c>PushClient</c>'s connection carry the affinity cookie (negotiate and every transport).</summary>
    public Action<IHubConnectionBuilder> Affinity(string key) => builder =>
        builder.Services.Configure<HttpConnectionOptions>(options => options.Cookies.Add(Url, new Cookie(AffinityCookie, key)));

    /// <summary>The last lines of nginx's error log and access log, for failure messages.</summary>
    public string Tail(int lines = 30)
        => $"nginx ({Url}): {_script.Tail("nginx.log", lines)}{Environment.NewLine}{_script.Tail("nginx-access.log", lines)}";

    public void Dispose() => _probe.Dispose();
}
