namespace Telemetry.Gateway.Live;

/// <summary>The live stream's settings (configuration section <c>Stream</c>).</summary>
public sealed class StreamOptions
{
    public const string Section = "Stream";

    /// <summary>Longest silence on a stream before a heartbeat event (default 15 s).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
