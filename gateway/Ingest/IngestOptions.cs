namespace Telemetry.Gateway.Ingest;

/// <summary>Limits of the ingest endpoints (configuration section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Largest request body, after decompression (default 1 MiB).</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most events in one batch request (default 1000).</summary>
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>Deepest JSON nesting a body may have (default 64).</summary>
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>
    /// Grain calls per tenant that one gateway keeps in flight to the tenant's event log (default 2; 0 sends
    /// every request's events in a call of its own). Appends that arrive meanwhile wait and go together.
    /// </summary>
    public int AppendCallsInFlight { get; set; } = 2;

    /// <summary>Most events that one coalesced call to a tenant's log carries (default 2000).</summary>
    public int MaxCoalescedEvents { get; set; } = 2000;
}
