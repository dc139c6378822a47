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
    public int ExportsPerTenant { get; set; } = 4;

    /// <summary>
    /// Open <c>/v1/stream</c> connections (default 100): a dashboard tab is one, so a team's tabs and wall screens fit,
    /// with room for tabs that reconnect before the gateway has seen the old connection close; each costs a
    /// connection, a few KiB and a timer on the gateway, so a script that opens thousands cannot.
    /// </summary>
    public int LiveStreamsPerTenant { get; set; } = 100;

    /// <summary>
    /// Open gRPC <c>StreamEvents</c> calls (default 20): each buffers up to 2,000 events and a task on the gateway.
    /// A collector keeps one or a few open.
    /// </summary>
    public int IngestStreamsPerTenant { get; set; } = 20;

    /// <summary>What <c>Retry-After</c> says when a tenant is at a limit (default 5 s): a slot frees when a request ends.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);
}
