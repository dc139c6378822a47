using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Live;

/// <summary>The live stream's settings (configuration section <c>Stream</c>).</summary>
public sealed class StreamOptions
{
    public const string Section = "Stream";

    /// <summary>Longest silence on a stream before a heartbeat event (default 15 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
