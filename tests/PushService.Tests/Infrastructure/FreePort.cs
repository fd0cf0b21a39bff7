using System.Net;
using System.Net.Sockets;

namespace PushService.Tests.Infrastructure;

public static class FreePort
{
    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The first of <paramref name="count"/> consecutive loopback ports that were free a moment ago.</summary>
    public static int Range(int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var first = Next();
            if (first + count - 1 <= IPEndPoint.MaxPort && Enumerable.Range(1, count - 1).All(i => IsFree(first + i)))
            {
                return first;
            }
        }
        throw new InvalidOperationException($"No {count} consecutive free ports found.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
