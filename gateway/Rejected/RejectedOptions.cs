using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Rejected;

/// <summary>How refused events are kept (configuration section <c>Rejected</c>).</summary>
public sealed class RejectedOptions
{
    public const string Section = "Rejected";

    /// <summary>Days a refused event is kept (default 7).</summary>
    [Range(1, 3650)]
    public int KeepDays { get; set; } = 7;

    /// <summary>Most refused events kept per tenant, the newest (default 10,000).</summary>
    [Range(1, 10_000_000)]
    public int MaxPerTenant { get; set; } = 10_000;

    /// <summary>How often the gateway writes the refused events it holds (default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Refused events a gateway holds before writing them; past that, more are not kept (counted in its log).</summary>
    [Range(1, 10_000_000)]
    public int MaxWaiting { get; set; } = 50_000;
}
