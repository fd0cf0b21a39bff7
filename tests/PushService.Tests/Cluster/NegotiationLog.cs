using System.Diagnostics;
using System.Net;

namespace PushService.Tests.Cluster;

/// <summary>
/// Which node answered each of one client's SignalR negotiations, as the local cluster's nginx
/// names it (<see cref="LoadBalancer.UpstreamHeader"/>): where each of its connections went.
/// Empty for a client that does not go through that nginx.
/// </summary>
public sealed class NegotiationLog
{
    private readonly List<Negotiation> _entries = [];

    /// <summary>One negotiate answer; <see cref="At"/> is a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public sealed record Negotiation(long At, string Upstream, HttpStatusCode Status);

    public IReadOnlyList<Negotiation> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The last accepted (200) negotiation after <paramref name="since"/>: the node of the connection made since then.</summary>
    public Negotiation? LastAccepted(long since = 0)
        => Entries.LastOrDefault(n => n.Status == HttpStatusCode.OK && n.At > since);

    /// <summary>For <c>PushClientOptions.HttpMessageHandlerFactory</c>: sees every negotiate response of the client.</summary>
    public HttpMessageHandler Wrap(HttpMessageHandler inner) => new Recorder(inner, this);

    public override string ToString() => string.Join(", ", Entries.Select(n => $"{(int)n.Status}@{n.Upstream}"));

    private sealed class Recorder(HttpMessageHandler inner, NegotiationLog log) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri?.AbsolutePath.EndsWith("/negotiate", StringComparison.Ordinal) == true
                && response.Headers.TryGetValues(LoadBalancer.UpstreamHeader, out var values))
            {
                // After a retry nginx lists every node it tried: "a:1, b:2". The last one answered.
                var upstream = values.First().Split(',', StringSplitOptions.TrimEntries)[^1];
                lock (log._entries)
                {
                    log._entries.Add(new Negotiation(Stopwatch.GetTimestamp(), upstream, response.StatusCode));
                }
            }
            return response;
        }
    }
}
