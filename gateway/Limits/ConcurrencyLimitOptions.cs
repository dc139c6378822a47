using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// How many long-running requests one tenant may have open on one gateway at once (configuration section
/// <c>ConcurrencyLimit</c>); 0 turns a limit off.
/// </summary>
public sealed class ConcurrencyLimitOptions
{
    public const string Section = "ConcurrencyLimit";

    /// <summary>
    /// Exports at once (default 4). Each holds a pooled PostgreSQL connection (100 per gateway) and up to a Parquet row
    /// group of memory for as long as its client reads: four let a user export several filters side by side, and 25
    /// tenants exporting at their limit still leave the pool to the others.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int ExportsPerTenant { get; set; } = 4;

    /// <summary>
    /// Open <c>/v1/stream</c> connections (default 1,000). A dashboard tab is one, but a client that drops a stream is
    /// still counted until the gateway sees its connection close, and .NET's HttpClient first drains an abandoned
    /// response for up to 2 s: 16 clients reconnecting as fast as they can (LiveStreamTests) keep about that many open.
    /// Each costs a connection, a few KiB and one serialization per push, so the bound stops a script opening tens of
    /// thousands, not a busy dashboard.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int LiveStreamsPerTenant { get; set; } = 1000;

    /// <summary>
    /// Open gRPC <c>StreamEvents</c> calls (default 20): each buffers up to 2,000 events and a task on the gateway.
    /// A collector keeps one or a few open.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int IngestStreamsPerTenant { get; set; } = 20;

    /// <summary>What <c>Retry-After</c> says when a tenant is at a limit (default 5 s): a slot frees when a request ends.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
