namespace Telemetry.Gateway.Limits;

/// <summary>Each tenant's ingest rate on one gateway (configuration section <c>RateLimit</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>Events a second a tenant may send to one gateway, sustained (default 50,000; 0 turns the limit off).</summary>
    public int EventsPerSecond { get; set; } = 50_000;

    /// <summary>Events a tenant may send at once above the sustained rate (default 100,000; at least a full batch).</summary>
    public int Burst { get; set; } = 100_000;
}
