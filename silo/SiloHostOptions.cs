using Microsoft.Extensions.Configuration;

namespace Telemetry.Silo;

/// <summary>Where a silo listens and which cluster it joins, from <c>TELEMETRY_*</c> settings, read once at start.</summary>
public sealed class SiloHostOptions
{
    /// <summary>
    /// The silo's own HTTP port (<c>TELEMETRY_SILO_HTTP_PORT</c>) for probes, <c>/metrics</c> and the Orleans dashboard;
    /// apps never call it.
    /// </summary>
    public int HttpPort { get; set; } = 8081;

    /// <summary>Silo-to-silo port (<c>TELEMETRY_SILO_PORT</c>).</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Where Orleans clients such as the gateway reach this silo (<c>TELEMETRY_CLIENT_PORT</c>).</summary>
    public int ClientPort { get; set; } = 30000;

    /// <summary>The address other silos and clients use for this one (<c>TELEMETRY_ADVERTISED_IP</c>, else <c>POD_IP</c>, else Orleans picks one).</summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>The silo's name (<c>POD_NAME</c>, else host name and port).</summary>
    public string? SiloName { get; set; }

    /// <summary>Silos and clients with the same cluster id form one cluster (<c>TELEMETRY_CLUSTER_ID</c>).</summary>
    public string ClusterId { get; set; } = "telemetry";

    /// <summary>Grain state is keyed by service id; keep it across deployments (<c>TELEMETRY_SERVICE_ID</c>).</summary>
    public string ServiceId { get; set; } = "telemetry";

    public static SiloHostOptions From(IConfiguration configuration) => new()
    {
        HttpPort = configuration.GetValue("TELEMETRY_SILO_HTTP_PORT", 8081),
        SiloPort = configuration.GetValue("TELEMETRY_SILO_PORT", 11111),
        ClientPort = configuration.GetValue("TELEMETRY_CLIENT_PORT", 30000),
        AdvertisedIp = configuration["TELEMETRY_ADVERTISED_IP"] is { Length: > 0 } ip ? ip : configuration["POD_IP"],
        SiloName = configuration["POD_NAME"],
        ClusterId = configuration["TELEMETRY_CLUSTER_ID"] is { Length: > 0 } cluster ? cluster : "telemetry",
        ServiceId = configuration["TELEMETRY_SERVICE_ID"] is { Length: > 0 } service ? service : "telemetry",
    };
}
