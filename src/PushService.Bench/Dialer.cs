using System.Net;
using System.Net.Sockets;

namespace PushService.Bench;

/// <summary>
/// The HTTP handler all subscriber WebSockets (and publishers) of a process share. Given source
/// addresses, each new connection binds the next one (127.0.0.2, 127.0.0.3…): a source address
/// has only the ephemeral ports 32768–60999, so more connections than that to one node need more
/// addresses. All of 127.0.0.0/8 is local on Linux, so no interface needs configuring.
/// </summary>
internal static class Dialer
{
    // Linux IP_BIND_ADDRESS_NO_PORT: pick the port at connect() from the full 4-tuple, not at bind().
    private const int SolIp = 0;
    private const int IpBindAddressNoPort = 24;

    public static SocketsHttpHandler Handler(IReadOnlyList<IPAddress>? sourceAddresses = null, int maxConnectionsPerServer = int.MaxValue)
    {
        var next = -1;
        return new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnectionsPerServer,
            UseCookies = false,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (sourceAddresses is { Count: > 0 })
                    {
                        socket.SetRawSocketOption(SolIp, IpBindAddressNoPort, BitConverter.GetBytes(1));
                        socket.Bind(new IPEndPoint(sourceAddresses[(int)((uint)Interlocked.Increment(ref next) % (uint)sourceAddresses.Count)], 0));
                    }
                    var host = context.DnsEndPoint;
                    await (IPAddress.TryParse(host.Host, out var address)
                        ? socket.ConnectAsync(new IPEndPoint(address, host.Port), cancellationToken)
                        : socket.ConnectAsync(host, cancellationToken));
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    /// <summary>127.0.0.2, 127.0.0.3, … (count of them), skipping from <paramref name="first"/>.</summary>
    public static List<IPAddress> LoopbackSources(int first, int count)
        => [.. Enumerable.Range(first, count).Select(i => new IPAddress(new byte[] { 127, 0, (byte)(i / 254), (byte)(2 + (i % 254)) }))];
}
