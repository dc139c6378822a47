using System.ComponentModel.DataAnnotations;

namespace Telemetry.Gateway.Limits;

/// <summary>Each tenant's ingest rate, for the whole cluster (configuration section <c>RateLimit</c>; gateways share it).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>Events a second a tenant may send, over all gateways together, sustained (default 50,000; 0 turns the limit off).</summary>
    [Range(0, int.MaxValue)]
    public int EventsPerSecond { get; set; } = 50_000;

    /// <summary>Events a tenant may send at once above the sustained rate (default 100,000; at least a full batch).</summary>
    [Range(1, int.MaxValue)]
    public int Burst { get; set; } = 100_000;

    /// <summary>
    /// Share of a second's rate that a gateway leases from the tenant's bucket at a time (default 0.05:
    /// 50 ms of it). Larger leases mean fewer grain calls and a coarser split between gateways.
    /// </summary>
    [Range(0.0001, 1.0)]
    public double LeaseFraction { get; set; } = 0.05;

    /// <summary>How long a gateway keeps leased tokens it has not spent (default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan LeaseLifetime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Keyless events (<c>POST /events</c> for the anonymous tenant) a second from one client address (default 10; 0 turns it off).</summary>
    [Range(0, int.MaxValue)]
    public int KeylessEventsPerSecond { get; set; } = 10;

    /// <summary>Keyless events one client address may send at once (default 60).</summary>
    [Range(1, int.MaxValue)]
    public int KeylessBurst { get; set; } = 60;

    /// <summary>
    /// Take a keyless client's address from the last entry of <c>X-Forwarded-For</c> (default false): set it
    /// only behind a proxy that appends it, or every client can pick its own bucket.
    /// </summary>
    public bool KeylessTrustForwardedFor { get; set; }

    /// <summary>Reads of users' metrics a second per tenant on one gateway (default 200; 0 turns it off): each may activate a grain and query.</summary>
    [Range(0, int.MaxValue)]
    public int UserReadsPerSecond { get; set; } = 200;

    /// <summary>Reads of users' metrics a tenant may make at once above that rate (default 400).</summary>
    [Range(1, int.MaxValue)]
    public int UserReadsBurst { get; set; } = 400;
}
