using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using MessagePack;

namespace PushService.Bench;

/// <summary>Told of every notification a subscriber receives, on that subscriber's receive path.</summary>
internal interface INotificationSink
{
    /// <param name="sent">Stopwatch ticks when the publisher sent it (data <c>t</c>).</param>
    /// <param name="scheduled">Stopwatch ticks when the clock scheduled it (data <c>s</c>), 0 when not scheduled.</param>
    /// <param name="seq">The publisher's sequence number (data <c>k</c>).</param>
    /// <param name="now">Stopwatch ticks when it was read.</param>
    void OnNotification(int subscriber, long sent, long scheduled, long seq, long now);
}

/// <summary>
/// The least a SignalR subscriber can be: a WebSocket without negotiation, the MessagePack hub
/// protocol read in place (only <c>data.t/s/k</c> of each notification), a ping now and then.
/// Used where the SDK's per-notification work (a record per notification, per-stream ordering,
/// a delivery queue) would spend the CPU the servers need on this two-core machine.
/// </summary>
internal sealed class RawSubscriber : IAsyncDisposable
{
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"messagepack\",\"version\":1}\u001e");
    // A length prefix of 2, then [6]: the MessagePack hub protocol's ping.
    private static readonly byte[] PingMessage = [0x02, 0x91, 0x06];

    private readonly ClientWebSocket _socket = new();
    private readonly INotificationSink? _sink;
    private readonly int _index;
    private readonly TaskCompletionSource _handshake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _invocation;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _handshaken;
    private volatile bool _closed;

    private RawSubscriber(int index, INotificationSink? sink, int bufferSize)
    {
        _index = index;
        _sink = sink;
        _buffer = new byte[bufferSize];
        // SignalR's own pings keep the connection alive; WebSocket-level pings would only add traffic.
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    public bool IsOpen => !_closed && _socket.State == WebSocketState.Open;

    /// <summary>Why the connection ended, once it did.</summary>
    public string? CloseReason { get; private set; }

    public static async Task<RawSubscriber> ConnectAsync(Uri node, string? token, HttpMessageInvoker invoker, INotificationSink? sink, int index, int bufferSize, CancellationToken cancellationToken)
    {
        var subscriber = new RawSubscriber(index, sink, bufferSize);
        try
        {
            var url = new UriBuilder(new Uri(node, "hubs/notifications")) { Scheme = node.Scheme == "https" ? "wss" : "ws" };
            if (token is not null)
            {
                url.Query = "access_token=" + Uri.EscapeDataString(token);
            }
            // With an invoker the socket comes from its handler: shared settings, and its ConnectCallback binds the source address.
            await subscriber._socket.ConnectAsync(url.Uri, invoker, cancellationToken);
            _ = subscriber.ReceiveLoopAsync();
            await subscriber._socket.SendAsync(Handshake, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            await subscriber._handshake.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return subscriber;
        }
        catch
        {
            await subscriber.DisposeAsync();
            throw;
        }
    }

    /// <summary>Invokes a hub method with one string argument (Subscribe) and awaits its completion.</summary>
    public async Task InvokeAsync(string method, string argument, CancellationToken cancellationToken)
    {
        _invocation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var body = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(body);
        // [1 Invocation, headers, invocationId, target, arguments, streamIds]
        writer.WriteArrayHeader(6);
        writer.Write(1);
        writer.WriteMapHeader(0);
        writer.Write("1");
        writer.Write(method);
        writer.WriteArrayHeader(1);
        writer.Write(argument);
        writer.WriteArrayHeader(0);
        writer.Flush();
        await _socket.SendAsync(Frame(body.WrittenSpan), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        await _invocation.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>The server closes a connection it has heard nothing from for 30 s.</summary>
    public async Task PingAsync()
    {
        if (!IsOpen)
        {
            return;
        }
        try
        {
            await _socket.SendAsync(PingMessage, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException)
        {
            CloseReason ??= ex.Message;
            _closed = true;
        }
    }

    public ValueTask DisposeAsync()
    {
        _closed = true;
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                if (_end == _buffer.Length)
                {
                    if (_start > 0)
                    {
                        Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                        _end -= _start;
                        _start = 0;
                    }
                    else
                    {
                        Array.Resize(ref _buffer, _buffer.Length * 2);
                    }
                }
                var result = await _socket.ReceiveAsync(_buffer.AsMemory(_end), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseReason ??= $"closed by the server ({_socket.CloseStatus} {_socket.CloseStatusDescription})";
                    break;
                }
                _end += result.Count;
                Parse(Stopwatch.GetTimestamp());
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException or MessagePackSerializationException or InvalidDataException)
        {
            CloseReason ??= ex.Message;
        }
        finally
        {
            _closed = true;
            _handshake.TrySetException(new InvalidOperationException("The connection closed during the handshake: " + CloseReason));
            _invocation?.TrySetException(new InvalidOperationException("The connection closed during an invocation: " + CloseReason));
        }
    }

    private void Parse(long now)
    {
        if (!_handshaken)
        {
            var separator = Array.IndexOf(_buffer, (byte)0x1e, _start, _end - _start);
            if (separator < 0)
            {
                return;
            }
            var answer = Encoding.UTF8.GetString(_buffer, _start, separator - _start);
            _start = separator + 1;
            _handshaken = true;
            if (answer.Contains("\"error\"", StringComparison.Ordinal))
            {
                throw new InvalidDataException("The server refused the handshake: " + answer);
            }
            _handshake.TrySetResult();
        }
        while (TryReadLength(out var length, out var prefix) && _end - _start - prefix >= length)
        {
            Read(new ReadOnlyMemory<byte>(_buffer, _start + prefix, length), now);
            _start += prefix + length;
        }
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>The varint length prefix of the MessagePack hub protocol (7 bits a byte, at most 5 bytes).</summary>
    private bool TryReadLength(out int length, out int prefix)
    {
        length = 0;
        for (prefix = 0; prefix < 5 && _start + prefix < _end; prefix++)
        {
            var b = _buffer[_start + prefix];
            length |= (b & 0x7f) << (7 * prefix);
            if ((b & 0x80) == 0)
            {
                prefix++;
                return true;
            }
        }
        return false;
    }

    private void Read(ReadOnlyMemory<byte> message, long now)
    {
        var reader = new MessagePackReader(message);
        var count = reader.ReadArrayHeader();
        switch (reader.ReadInt32())
        {
            case 1: // Invocation: [1, headers, invocationId, target, arguments, …]
                reader.Skip();
                reader.Skip();
                if (reader.TryReadStringSpan(out var target) && target.SequenceEqual("notification"u8) && reader.ReadArrayHeader() > 0)
                {
                    ReadNotification(ref reader, now);
                }
                break;
            case 3: // Completion: [3, headers, invocationId, resultKind (1 error, 2 void, 3 result), result]
                reader.Skip();
                reader.Skip();
                if (reader.ReadInt32() == 1)
                {
                    _invocation?.TrySetException(new InvalidOperationException("The hub refused: " + reader.ReadString()));
                }
                _invocation?.TrySetResult();
                break;
            case 7: // Close: [7, error, allowReconnect]
                CloseReason = count > 1 && !reader.TryReadNil() ? "closed by the server: " + reader.ReadString() : "closed by the server";
                break;
        }
    }

    private void ReadNotification(ref MessagePackReader reader, long now)
    {
        long sent = 0, scheduled = 0, seq = -1;
        var fields = reader.ReadMapHeader();
        for (var i = 0; i < fields; i++)
        {
            if (reader.TryReadStringSpan(out var key) && key.SequenceEqual("data"u8) && reader.NextMessagePackType == MessagePackType.Map)
            {
                var dataFields = reader.ReadMapHeader();
                for (var j = 0; j < dataFields; j++)
                {
                    reader.TryReadStringSpan(out var name);
                    if (name.Length == 1 && reader.NextMessagePackType == MessagePackType.Integer)
                    {
                        var value = reader.ReadInt64();
                        switch (name[0])
                        {
                            case (byte)'t': sent = value; break;
                            case (byte)'s': scheduled = value; break;
                            case (byte)'k': seq = value; break;
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Skip();
            }
        }
        _sink?.OnNotification(_index, sent, scheduled, seq, now);
    }

    private static byte[] Frame(ReadOnlySpan<byte> body)
    {
        var frame = new List<byte>(body.Length + 5);
        var length = body.Length;
        do
        {
            var b = (byte)(length & 0x7f);
            length >>= 7;
            frame.Add(length > 0 ? (byte)(b | 0x80) : b);
        }
        while (length > 0);
        frame.AddRange(body);
        return [.. frame];
    }
}
