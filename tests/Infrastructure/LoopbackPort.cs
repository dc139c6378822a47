// Shared with bench/ (linked there), which has not the tests' project-wide imports: its own stay here.
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Telemetry.Tests.Infrastructure;

/// <summary>Free TCP ports on loopback, for the servers the tests and the benchmark start.</summary>
public static class LoopbackPort
{
    /// <summary>A port that was free a moment ago (the operating system picked it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary><see cref="Free"/> as a setting's text (<c>TELEMETRY_*_PORT</c>).</summary>
    public static string FreeSetting() => Free().ToString(CultureInfo.InvariantCulture);
}
