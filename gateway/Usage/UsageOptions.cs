using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Usage;

/// <summary>How a gateway records tenants' usage (configuration section <c>Usage</c>).</summary>
public sealed class UsageOptions
{
    public const string Section = "Usage";

    /// <summary>
    /// How often the gateway adds what it counted to PostgreSQL (default 5 s). A graceful stop adds the rest; a gateway
    /// killed outright loses at most this much of its counts (never an event).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);
}
