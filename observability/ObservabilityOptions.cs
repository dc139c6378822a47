using System.ComponentModel.DataAnnotations;

namespace Telemetry.Observability;

/// <summary>Logging and tracing of the platform itself (configuration section <c>Observability</c>).</summary>
public sealed class ObservabilityOptions
{
    public const string Section = "Observability";

    /// <summary>Requests slower than this are logged with their duration (default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SlowRequest { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The share of requests traced when the caller did not decide (default 0.1). A request whose
    /// <c>traceparent</c> header is sampled is always traced, so a client can ask for a trace.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 0.1;

    /// <summary>Write logs as one JSON object a line, with the trace id (default true; false for plain text).</summary>
    public bool JsonLogs { get; set; } = true;
}
