// Shared with bench/ (linked there), which has not the tests' project-wide imports: its own stay here.
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Telemetry.Tests.Infrastructure;

/// <summary>Free TCP ports for the servers the tests and the benchmark start.</summary>
/// <remarks>
/// A port the operating system picks (bind to 0) lies in its ephemeral range, which it also hands to
/// outgoing connections: between the pick and the server's bind, a connection to PostgreSQL or to a silo
/// may take it (a CI run lost 271 tests that way). Ports are therefore taken below that range, each handed
/// out once per process, and checked free on every address the servers bind.
/// </remarks>
public static class LoopbackPort
{
    private const int Lowest = 10_000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int Highest = EphemeralRangeStart() - 1;
    private static int _next = Lowest + Random.Shared.Next(Math.Max(1, Highest - Lowest));

    /// <summary>A port that is free now and that neither this process nor the system's outgoing connections will take.</summary>
    public static int Free()
    {
        if (Highest - Lowest < 1_000) return PickedBySystem();
        lock (Gate)
        {
            for (var tried = 0; tried <= Highest - Lowest; tried++)
            {
                var port = _next;
                _next = _next >= Highest ? Lowest : _next + 1;
                if (!HandedOut.Contains(port) && IsFree(port) && HandedOut.Add(port)) return port;
            }
        }
        return PickedBySystem();
    }

    /// <summary><see cref="Free"/> as a setting's text (<c>TELEMETRY_*_PORT</c>).</summary>
    public static string FreeSetting() => Free().ToString(CultureInfo.InvariantCulture);

    private static bool IsFree(int port)
    {
        // Kestrel and the silos bind every address ([::] dual-stack), PostgreSQL loopback: check both.
        try
        {
            using var any = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
            any.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            using var loopback = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            any.Dispose(); // the dual-stack socket holds 127.0.0.1 too: let go before checking loopback alone
            loopback.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int PickedBySystem()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
