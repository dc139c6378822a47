using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Metrics;

/// <summary>How metrics reads are answered (configuration section <c>Metrics</c>).</summary>
public sealed class MetricsReadOptions
{
    public const string Section = "Metrics";

    /// <summary>
    /// Oldest copy of a tenant's 24h overview and categories that a gateway answers from (default 1 s; zero: always
    /// ask the grain). The grain pushes changes to every gateway that read them within a minute, at most once a
    /// second, so while a tenant ingests its dashboards' reads stay on the gateway; the answer's <c>as_of</c> and
    /// <c>Age</c> header say how old it is. An idle tenant's reads go to the grain: exact.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan PushedCopyMaxAge { get; set; } = TimeSpan.FromSeconds(1);
}
