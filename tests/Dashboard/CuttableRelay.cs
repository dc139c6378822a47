using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Telemetry.Tests.Dashboard;

/// <summary>
/// A TCP relay on a loopback port in front of a gateway that a test can cut: while cut, every
/// connection through it is reset, open ones at once and new ones as they arrive, as when the
/// network between a browser and the gateway goes away. The gateway itself keeps running, so the
/// other tests sharing it see nothing.
/// </summary>
public sealed class CuttableRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Uri _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private volatile bool _cut;

    private CuttableRelay(Uri target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>The relay's address, to use instead of the gateway's.</summary>
    public Uri BaseAddress { get; }

    public static CuttableRelay Start(Uri target) => new(target);

    public void Cut()
    {
        _cut = true;
        foreach (var socket in _open.Keys) Reset(socket);
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_cut) Reset(client);
            else _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open[client] = 0;
        _open[server] = 0;
        try
        {
            await server.ConnectAsync(_target.Host, _target.Port, _stopping.Token);
            await using var toServer = new NetworkStream(server, ownsSocket: false);
            await using var toClient = new NetworkStream(client, ownsSocket: false);
            // Whichever direction ends first ends the pair: HTTP/1.1 has no half-closed exchanges to keep.
            await Task.WhenAny(toClient.CopyToAsync(toServer, _stopping.Token), toServer.CopyToAsync(toClient, _stopping.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A cut, a reset by either side, or the end of the test: the sockets go below either way.
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(server, out _);
            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>Closes with RST rather than FIN: the browser sees a failed connection, not an answer that ended.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing to reset.
        }
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var socket in _open.Keys) socket.Dispose();
        _stopping.Dispose();
    }
}
