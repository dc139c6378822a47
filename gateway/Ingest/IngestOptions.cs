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
    /// Grain calls per tenant that one gateway keeps in flight to the tenant's event log; appends that arrive
    /// meanwhile wait and go together (default 0: off, every request's events go in a call of their own).
    /// Off because it did not help where the tenant's serial commit is the limit: measured on 2026-12-04
    /// with 2 in flight, single-event ingest was 0.028 and 0.035 of the HTTP floor against 0.086 and 0.044
    /// without (bench/results/2026-12-04-notes.md); the log's groups shrank from 21 to 18 events.
    /// </summary>
    public int AppendCallsInFlight { get; set; }

    /// <summary>Most events that one coalesced call to a tenant's log carries (default 2000).</summary>
    public int MaxCoalescedEvents { get; set; } = 2000;
}
