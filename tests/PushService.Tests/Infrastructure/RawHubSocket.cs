using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using PushService.Protocol;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// A hub connection over a bare <see cref="ClientWebSocket"/> speaking the JSON hub protocol by
/// hand (frames end in 0x1E), for tests of what the official clients never send, or of a client
/// that stops reading. Its TCP receive buffer is small, so little hides in the kernel.
/// </summary>
public sealed class RawHubSocket : IAsyncDisposable
{
    public const char RecordSeparator = '\u001e';

    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker _invoker;
    private readonly StringBuilder _pending = new();
    private int _invocationId;

    private RawHubSocket(ClientWebSocket socket, HttpMessageInvoker invoker)
    {
        _socket = socket;
        _invoker = invoker;
    }

    public WebSocketState State => _socket.State;

    /// <summary>Opens the WebSocket (no negotiation) without a handshake.</summary>
    public static async Task<RawHubSocket> OpenAsync(PushNode node, string token, int receiveBufferBytes = 4096)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = receiveBufferBytes };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var invoker = new HttpMessageInvoker(handler);
        var socket = new ClientWebSocket();
        var url = new UriBuilder(new Uri(node.Url, HubProtocolNames.HubPath)) { Scheme = "ws", Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;
        await socket.ConnectAsync(url, invoker, CancellationToken.None).DefaultTimeout();
        return new RawHubSocket(socket, invoker);
    }

    /// <summary>Opens the socket and completes the JSON handshake.</summary>
    public static async Task<RawHubSocket> ConnectAsync(PushNode node, string token, int receiveBufferBytes = 4096)
    {
        var raw = await OpenAsync(node, token, receiveBufferBytes);
        await raw.SendAsync("""{"protocol":"json","version":1}""");
        var answer = await raw.ReceiveAsync();
        Assert.Equal("{}", answer);
        return raw;
    }

    /// <summary>Sends one frame; the record separator is added.</summary>
    public Task SendAsync(string frame)
        => _socket.SendAsync(Encoding.UTF8.GetBytes(frame + RecordSeparator), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).DefaultTimeout();

    /// <summary>Sends an invocation that expects a completion; returns its id.</summary>
    public async Task<string> InvokeAsync(string target, params object?[] arguments)
    {
        var id = (++_invocationId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await SendAsync(JsonSerializer.Serialize(new { type = 1, invocationId = id, target, arguments }));
        return id;
    }

    /// <summary>The next frame (without its separator), or null when the socket closed first.</summary>
    public async Task<string?> ReceiveAsync()
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var end = _pending.ToString().IndexOf(RecordSeparator, StringComparison.Ordinal);
            if (end >= 0)
            {
                var frame = _pending.ToString(0, end);
                _pending.Remove(0, end + 1);
                return frame;
            }
            WebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer, CancellationToken.None).DefaultTimeout();
            }
            catch (WebSocketException)
            {
                return null;
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            _pending.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
    }

    /// <summary>Reads frames, skipping pings and others, until one matches; null when the socket closed first.</summary>
    public async Task<JsonElement?> ReceiveUntilAsync(Func<JsonElement, bool> match)
    {
        while (await ReceiveAsync() is { } frame)
        {
            var json = JsonDocument.Parse(frame).RootElement.Clone();
            if (match(json))
            {
                return json;
            }
        }
        return null;
    }

    /// <summary>The completion of an invocation (type 3); null when the socket closed first.</summary>
    public Task<JsonElement?> CompletionAsync(string invocationId)
        => ReceiveUntilAsync(f => f.GetProperty("type").GetInt32() == 3 && f.GetProperty("invocationId").GetString() == invocationId);

    /// <summary>Reads until the server ends the connection; returns the close message (type 7) if one came.</summary>
    public async Task<JsonElement?> ReadToEndAsync()
    {
        JsonElement? close = null;
        while (await ReceiveAsync() is { } frame)
        {
            var json = JsonDocument.Parse(frame).RootElement.Clone();
            if (json.GetProperty("type").GetInt32() == 7)
            {
                close = json;
            }
        }
        return close;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        _invoker.Dispose();
        await Task.CompletedTask;
    }
}
