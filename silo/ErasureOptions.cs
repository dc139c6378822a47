using System.ComponentModel.DataAnnotations;

namespace Telemetry.Silo;

/// <summary>How a silo carries out erasure requests (configuration section <c>Erasure</c>).</summary>
public sealed class ErasureOptions
{
    public const string Section = "Erasure";

    /// <summary>Longest wait before a new request is taken up (default 1 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events deleted per transaction (default 5,000): the longest a tenant's log head waits on one is one chunk.</summary>
    [Range(1, 100_000)]
    public int ChunkEvents { get; set; } = 5_000;

    /// <summary>How long a silo holds a request between two chunks (default 30 s); a silo that died gives it up after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts at a request (each a claim, after a failure or a silo's death) before it is recorded as failed (default 10).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Longest wait for the tenant's log to count the events acknowledged before the request (default 5 min).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan HeadWait { get; set; } = TimeSpan.FromMinutes(5);
}
