using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Ingest;

/// <summary>Limits of the ingest endpoints (configuration section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>Largest request body, after decompression (default 1 MiB).</summary>
    [Range(1024, int.MaxValue / 4)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Most events in one batch request (default 1000).</summary>
    [Range(1, 100_000)]
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>Deepest JSON nesting a body may have (default 64).</summary>
    [Range(1, 256)]
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>
    /// Grain calls per tenant that one gateway keeps in flight to the tenant's event log; appends that arrive
    /// meanwhile wait and go together (default 2; 0: every request's events go in a call of their own). Once
    /// the log could keep commits going while it answered (2026-12-04), coalescing cut the gateway's and the
    /// silo's CPU an event by 10 to 20 %: two back-to-back pairs of bench runs on 2026-12-05 gave 1.27 and
    /// 0.91 of the per-request-INSERT peer with it against 1.11 and 0.83 without (bench/results/2026-12-05-notes.md).
    /// </summary>
    [Range(0, 64)]
    public int AppendCallsInFlight { get; set; } = 2;

    /// <summary>Most events that one coalesced call to a tenant's log carries (default 2000).</summary>
    [Range(1, int.MaxValue)]
    public int MaxCoalescedEvents { get; set; } = 2000;
}
