using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushService.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of a redis-server that can make a client's pub/sub messages
/// silently disappear: while <see cref="Drop"/> is set, every message frame from Redis that it
/// matches is swallowed whole (the rest of the stream, replies included, goes on untouched), so
/// publishes succeed and nothing arrives — a subscription gone deaf without any error. It can also
/// hold messages back and let them go later, in order (a late backplane, nothing lost), and cut
/// the connections that carry subscriptions, as a network blip does. Frames are read as RESP
/// (RESP2 and RESP3), only to find where each message begins and ends.
/// </summary>
public sealed class RedisSubscriptionProxy : IAsyncDisposable
{
    private static readonly byte[] s_message2 = "*3\r\n$7\r\nmessage\r\n"u8.ToArray();
    private static readonly byte[] s_message3 = ">3\r\n$7\r\nmessage\r\n"u8.ToArray();
    private static readonly byte[] s_subscribe2 = "*3\r\n$9\r\nsubscribe\r\n"u8.ToArray();
    private static readonly byte[] s_subscribe3 = ">3\r\n$9\r\nsubscribe\r\n"u8.ToArray();

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Relay> _relays = [];
    private readonly Task _accepting;
    private volatile Func<string, bool>? _drop;
    private volatile bool _hold;

    public RedisSubscriptionProxy(int redisPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, redisPort);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>A connection string through the proxy with the client's default timeouts.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    /// <summary>
    /// While set, pub/sub messages (the whole RESP frame, as text) it returns true for are
    /// dropped; they are announced on <see cref="Dropped"/>.
    /// </summary>
    public Func<string, bool>? Drop
    {
        get => _drop;
        set => _drop = value;
    }

    /// <summary>Every message frame dropped so far, as text.</summary>
    public Inbox<string> Dropped { get; } = new();

    /// <summary>Every message frame held back so far, as text.</summary>
    public Inbox<string> Held { get; } = new();

    /// <summary>From now on, messages wait in the proxy until <see cref="ReleaseAsync"/> (replies still pass).</summary>
    public void HoldMessages() => _hold = true;

    /// <summary>Forwards the messages held back, in order, and lets later ones through.</summary>
    public async Task ReleaseAsync()
    {
        _hold = false;
        Relay[] relays;
        lock (_relays)
        {
            relays = [.. _relays];
        }
        foreach (var relay in relays.Where(r => !r.Running.IsCompleted))
        {
            await relay.Writing.WaitAsync(_stop.Token);
            try
            {
                await FlushHeldAsync(relay);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // That connection is gone: so are its messages, as with any cut connection.
            }
            finally
            {
                relay.Writing.Release();
            }
        }
    }

    /// <summary>
    /// Closes every connection on which Redis has confirmed a SUBSCRIBE or sent a message; the
    /// client sees them fail and connects again through the proxy. Returns how many were cut.
    /// </summary>
    public int CutSubscriptions()
    {
        List<Relay> cut;
        lock (_relays)
        {
            cut = [.. _relays.Where(r => r.Subscribes)];
        }
        foreach (var relay in cut)
        {
            relay.Close();
        }
        return cut.Count;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Relay[] relays;
        lock (_relays)
        {
            relays = [.. _relays];
        }
        foreach (var relay in relays)
        {
            relay.Close();
        }
        await Task.WhenAll(relays.Select(r => r.Running)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            var relay = new Relay(client);
            lock (_relays)
            {
                _relays.RemoveAll(r => r.Running.IsCompleted);
                _relays.Add(relay);
            }
            relay.Running = RelayAsync(relay);
        }
    }

    private async Task RelayAsync(Relay relay)
    {
        try
        {
            await relay.Server.ConnectAsync(_target, _stop.Token);
            var upstream = relay.Client.GetStream().CopyToAsync(relay.Server.GetStream(), _stop.Token);
            var downstream = ForwardFramesAsync(relay);
            await Task.WhenAny(upstream, downstream);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A relay ends when either side does.
        }
        finally
        {
            relay.Close();
        }
    }

    /// <summary>Redis to client, frame by frame, leaving out the messages to drop.</summary>
    private async Task ForwardFramesAsync(Relay relay)
    {
        var from = relay.Server.GetStream();
        var to = relay.Client.GetStream();
        var buffer = new byte[64 * 1024];
        var pending = new MemoryStream();
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                return;
            }
            pending.Write(buffer, 0, read);
            var data = pending.GetBuffer().AsMemory(0, (int)pending.Length);
            int complete;
            // One writer at a time, so that released messages and new frames keep their order.
            await relay.Writing.WaitAsync(_stop.Token);
            try
            {
                if (!_hold)
                {
                    await FlushHeldAsync(relay);
                }
                List<Range> keep;
                (keep, complete) = Sift(data.Span, relay);
                foreach (var range in keep)
                {
                    await to.WriteAsync(data[range], _stop.Token);
                }
            }
            finally
            {
                relay.Writing.Release();
            }
            // Keep the incomplete frame at the end for the next read.
            var rest = data[complete..].ToArray();
            pending.SetLength(0);
            pending.Write(rest);
        }
    }

    /// <summary>The ranges of complete frames to forward, and where the complete frames end.</summary>
    private (List<Range> Keep, int Complete) Sift(ReadOnlySpan<byte> data, Relay relay)
    {
        var keep = new List<Range>();
        var start = 0;
        var forwardFrom = 0;
        int end;
        while ((end = FrameEnd(data, start)) > 0)
        {
            var frame = data[start..end];
            if (frame.StartsWith(s_subscribe2) || frame.StartsWith(s_subscribe3) || IsMessage(frame))
            {
                relay.Subscribes = true;
            }
            if (IsMessage(frame) && _drop is { } drop && drop(Encoding.UTF8.GetString(frame)))
            {
                keep.Add(forwardFrom..start);
                forwardFrom = end;
                Dropped.Add(Encoding.UTF8.GetString(frame));
            }
            else if (IsMessage(frame) && (_hold || relay.HeldFrames.Count > 0))
            {
                keep.Add(forwardFrom..start);
                forwardFrom = end;
                relay.HeldFrames.Add(frame.ToArray());
                Held.Add(Encoding.UTF8.GetString(frame));
            }
            start = end;
        }
        keep.Add(forwardFrom..start);
        return (keep, start);
    }

    private async Task FlushHeldAsync(Relay relay)
    {
        foreach (var frame in relay.HeldFrames)
        {
            await relay.Client.GetStream().WriteAsync(frame, _stop.Token);
        }
        relay.HeldFrames.Clear();
    }

    private static bool IsMessage(ReadOnlySpan<byte> frame) => frame.StartsWith(s_message2) || frame.StartsWith(s_message3);

    /// <summary>The index just past the RESP frame that begins at <paramref name="start"/>, or -1 if it is not complete yet.</summary>
    private static int FrameEnd(ReadOnlySpan<byte> data, int start)
    {
        if (start >= data.Length)
        {
            return -1;
        }
        var lineLength = data[start..].IndexOf("\r\n"u8);
        if (lineLength < 0)
        {
            return -1;
        }
        var lineEnd = start + lineLength;
        var next = lineEnd + 2;
        switch ((char)data[start])
        {
            case '+' or '-' or ':' or '_' or ',' or '#' or '(':
                return next;
            case '$' or '!' or '=':
            {
                var length = Length(data[(start + 1)..lineEnd]);
                var end = length < 0 ? next : next + length + 2;
                return end <= data.Length ? end : -1;
            }
            case '*' or '>' or '~' or '%' or '|':
            {
                var count = Length(data[(start + 1)..lineEnd]);
                var elements = data[start] is (byte)'%' or (byte)'|' ? count * 2 : count;
                var position = next;
                for (var i = 0; i < elements; i++)
                {
                    position = FrameEnd(data, position);
                    if (position < 0)
                    {
                        return -1;
                    }
                }
                return position;
            }
            default:
                throw new InvalidDataException($"Not RESP: '{(char)data[start]}'.");
        }
    }

    private static int Length(ReadOnlySpan<byte> digits) => int.Parse(Encoding.ASCII.GetString(digits), System.Globalization.CultureInfo.InvariantCulture);

    private sealed class Relay(TcpClient client)
    {
        public TcpClient Client { get; } = client;

        public TcpClient Server { get; } = new();

        public Task Running { get; set; } = Task.CompletedTask;

        /// <summary>Held only while <see cref="Writing"/> is.</summary>
        public SemaphoreSlim Writing { get; } = new(1, 1);

        /// <summary>Messages held back, oldest first; used only while <see cref="Writing"/> is held.</summary>
        public List<byte[]> HeldFrames { get; } = [];

        private volatile bool _subscribes;

        /// <summary>Redis confirmed a SUBSCRIBE or sent a message on this connection.</summary>
        public bool Subscribes
        {
            get => _subscribes;
            set => _subscribes = value;
        }

        public void Close()
        {
            Client.Client.Close();
            Server.Client.Close();
        }
    }
}
