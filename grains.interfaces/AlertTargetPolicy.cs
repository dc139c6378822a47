using System.Net;
using System.Net.Sockets;

namespace Telemetry.Grains;

/// <summary>Where alert webhooks may be sent (configuration section <c>Alerts</c>), read by the gateway and the silos.</summary>
public sealed class AlertTargetOptions
{
    public const string Section = "Alerts";

    /// <summary>
    /// Whether targets may be loopback, private or other non-public addresses (default false): a webhook must not become
    /// a way into the cluster's own network. Turn on for receivers inside it; link-local addresses stay refused.
    /// </summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>Host names targets may name (default: any); <c>*.example.com</c> also matches its subdomains.</summary>
    public IList<string> AllowedHosts { get; } = [];
}

/// <summary>The checks of a webhook target: its form and host when a rule is written, its addresses when a delivery connects.</summary>
public static class AlertTargetPolicy
{
    /// <summary>Null when <paramref name="text"/> may be a target; otherwise what is wrong with it.</summary>
    public static string? Check(string text, AlertTargetOptions options)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "must be an absolute http or https URL";
        }
        if (uri.UserInfo.Length > 0) return "must not hold a user name or password";
        var host = uri.DnsSafeHost;
        if (options.AllowedHosts.Count > 0 && !options.AllowedHosts.Any(allowed => Matches(allowed, host)))
        {
            return "names a host outside Alerts:AllowedHosts";
        }
        if (IPAddress.TryParse(host, out var literal) && IsLinkLocal(literal)) return "is a link-local address, which is never a target";
        if (options.AllowPrivateAddresses) return null;
        if (IPAddress.TryParse(host, out var address) ? !IsPublic(address)
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return "is a loopback, private or link-local address, which Alerts:AllowPrivateAddresses does not allow";
        }
        return null;
    }

    /// <summary>
    /// Whether an address is on the public internet: not loopback, private, link-local, shared, multicast or unspecified,
    /// and not an IPv6 form that carries an IPv4 address (mapped, compatible, NAT64, 6to4), which could lead to any of those.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            var compatible = bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0;
            var nat64 = bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b;
            var sixToFour = bytes[0] == 0x20 && bytes[1] == 0x02;
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (bytes[0] & 0xFE) == 0xFC
                || compatible || nat64 || sixToFour);
        }
        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => false,
            100 => b[1] is < 64 or > 127,
            169 => b[1] != 254,
            172 => b[1] is < 16 or > 31,
            192 => !(b[1] == 168 || (b[1] == 0 && b[2] is 0 or 2)),
            198 => b[1] is not (18 or 19),
            >= 224 => false,
            _ => true,
        };
    }

    /// <summary>
    /// Link-local addresses (169.254/16, fe80::/10), where clouds answer with their metadata and credentials: never a
    /// target, even where private addresses are allowed.
    /// </summary>
    public static bool IsLinkLocal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.IsIPv6LinkLocal || (address.AddressFamily == AddressFamily.InterNetwork && address.GetAddressBytes() is [169, 254, _, _]);
    }

    private static bool Matches(string allowed, string host) =>
        allowed.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase) || host.Equals(allowed[2..], StringComparison.OrdinalIgnoreCase)
            : host.Equals(allowed, StringComparison.OrdinalIgnoreCase);
}
