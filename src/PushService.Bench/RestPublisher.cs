using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace PushService.Bench;

/// <summary>
/// Publishes through the REST API over keep-alive connections (one pooled handler for all
/// nodes). Each notification's data carries <c>t</c> (Stopwatch ticks when sent), <c>s</c> (when
/// scheduled, if it was) and <c>k</c> (its seq); subscribers read them back.
/// </summary>
internal sealed class RestPublisher : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _http;
    private readonly Uri[] _single;
    private readonly Uri[] _batch;
    private readonly string? _padding;

    public RestPublisher(Topology topology, int maxConnectionsPerNode, int payloadBytes)
    {
        _http = new HttpClient(Dialer.Handler(maxConnectionsPerServer: maxConnectionsPerNode)) { Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Add("X-Api-Key", topology.ApiKey);
        _single = [.. topology.Nodes.Select(n => new Uri(n, "api/v1/notifications"))];
        _batch = [.. topology.Nodes.Select(n => new Uri(n, "api/v1/notifications/batch"))];
        _padding = payloadBytes > 0 ? new string('x', payloadBytes) : null;
    }

    public int NodeCount => _single.Length;

    /// <summary>Publishes one notification (to a user or a topic) now; true when accepted (202).</summary>
    /// <param name="onSent">Receives the send timestamp, taken as the body is written.</param>
    public async Task<bool> PublishAsync(int node, string? user, string? topic, long seq, long scheduled, Action<long>? onSent, CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(256);
        var sent = Stopwatch.GetTimestamp();
        using (var writer = new Utf8JsonWriter(body))
        {
            WriteNotification(writer, user, topic, sent, scheduled, seq);
        }
        onSent?.Invoke(sent);
        var (status, _) = await PostAsync(_single[node % _single.Length], body.WrittenMemory, cancellationToken);
        return status == HttpStatusCode.Accepted;
    }

    /// <summary>Posts a prepared body to one node's single or batch endpoint.</summary>
    public Task<(HttpStatusCode Status, long Ticks)> PostAsync(int node, ReadOnlyMemory<byte> body, bool batch, CancellationToken cancellationToken)
        => PostAsync((batch ? _batch : _single)[node % _single.Length], body, cancellationToken);

    /// <summary>A JSON body: one notification, or an array of <paramref name="count"/> when batched.</summary>
    public byte[] Body(Func<int, string> userOf, int first, int count, bool batch)
    {
        var body = new ArrayBufferWriter<byte>(256 * count);
        using (var writer = new Utf8JsonWriter(body))
        {
            if (batch)
            {
                writer.WriteStartArray();
            }
            for (var i = 0; i < count; i++)
            {
                WriteNotification(writer, userOf(first + i), null, 0, 0, first + i);
            }
            if (batch)
            {
                writer.WriteEndArray();
            }
        }
        return body.WrittenSpan.ToArray();
    }

    private async Task<(HttpStatusCode, long)> PostAsync(Uri uri, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = Json;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return (response.StatusCode, Stopwatch.GetTimestamp() - started);
        }
        catch (HttpRequestException)
        {
            return (0, Stopwatch.GetTimestamp() - started);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (HttpStatusCode.RequestTimeout, Stopwatch.GetTimestamp() - started);
        }
    }

    private void WriteNotification(Utf8JsonWriter writer, string? user, string? topic, long sent, long scheduled, long seq)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "bench");
        if (user is not null)
        {
            writer.WriteStartArray("users");
            writer.WriteStringValue(user);
            writer.WriteEndArray();
        }
        if (topic is not null)
        {
            writer.WriteStartArray("topics");
            writer.WriteStringValue(topic);
            writer.WriteEndArray();
        }
        writer.WriteStartObject("data");
        writer.WriteNumber("t", sent);
        if (scheduled > 0)
        {
            writer.WriteNumber("s", scheduled);
        }
        writer.WriteNumber("k", seq);
        if (_padding is not null)
        {
            writer.WriteString("p", _padding);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public void Dispose() => _http.Dispose();
}
