using System.Net;
using System.Net.Sockets;
using PushService.Tests.Infrastructure;

namespace PushService.Tests.Cluster;

/// <summary>
/// A loopback TCP proxy to one node that passes every request on whole, then closes the client's
/// connection the moment the node starts answering: the node did the work and answered, the
/// publisher never hears it. That is the "dropped response" a publisher must retry with the same id.
/// </summary>
public sealed class ResponseDroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _dropped;

    public ResponseDroppingProxy(ServiceProcess node)
    {
        _target = new IPEndPoint(IPAddress.Loopback, node.Port);
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Url { get; }

    /// <summary>Responses the node wrote that never reached the client.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>
    /// A client for one request through the proxy. A new connection each time: .NET resends a
    /// request by itself when a <em>reused</em> connection closes before any answer, and that
    /// resend is not what the test is about.
    /// </summary>
    public HttpClient CreatePublisherClient()
    {
        var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(15) };
        client.DefaultRequestHeaders.Add("X-Api-Key", PushNode.ApiKey);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
            lock (_connections)
            {
                _connections.Add(RelayAsync(client));
            }
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            var fromClient = client.GetStream();
            var fromServer = server.GetStream();
            var upstream = fromClient.CopyToAsync(fromServer, _stop.Token);
            // The first byte of the answer is enough to know the node answered; then both go.
            var first = new byte[1];
            if (await fromServer.ReadAsync(first, _stop.Token) > 0)
            {
                Interlocked.Increment(ref _dropped);
            }
            client.Client.Close();
            server.Client.Close();
            await upstream.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A relay ends when either side does.
        }
    }
}
