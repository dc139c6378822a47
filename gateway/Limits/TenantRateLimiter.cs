using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// A token bucket per tenant, counted in events: a batch takes as many tokens as it has events. A
/// tenant over its limit is refused before any work is done for it, so it does not slow the others.
/// </summary>
public sealed class TenantRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public TenantRateLimiter(IOptions<RateLimitOptions> options, IOptions<Ingest.IngestOptions> ingest)
    {
        var o = options.Value;
        if (o.EventsPerSecond <= 0) return;
        // Refilled ten times a second, so that a second's budget is not spent in one go and then nothing.
        // The bucket holds at least a full batch, which would otherwise never get through.
        var limiter = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(Math.Max(o.Burst, o.EventsPerSecond / 10), ingest.Value.MaxBatchEvents),
            TokensPerPeriod = Math.Max(1, o.EventsPerSecond / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetTokenBucketLimiter(tenant, _ => limiter));
    }

    /// <summary>Takes <paramref name="events"/> tokens of the tenant's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The tenant is over its limit.</exception>
    public void Take(string tenantId, int events)
    {
        if (_limiter is null || events == 0) return;
        using var lease = _limiter.AttemptAcquire(tenantId, events);
        if (lease.IsAcquired) return;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        throw new TenantRateLimitedException(retryAfter);
    }

    public void Dispose() => _limiter?.Dispose();
}

/// <summary>The tenant sent more events than its rate limit allows; nothing of the request was stored.</summary>
public sealed class TenantRateLimitedException(TimeSpan retryAfter) : Exception($"The tenant's rate limit is exceeded; retry in {retryAfter.TotalSeconds:F1} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
