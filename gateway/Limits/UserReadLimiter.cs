using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// A token bucket per tenant for <c>GET /v1/users/{id}/metrics</c>: each read of a user that no silo
/// holds activates that user's grain, which reads the user's log from PostgreSQL, so a client that walks
/// made-up user ids would otherwise turn reads into a storm of activations and queries. Per gateway.
/// </summary>
public sealed class UserReadLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public UserReadLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        if (o.UserReadsPerSecond <= 0) return;
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, o.UserReadsBurst),
            TokensPerPeriod = Math.Max(1, o.UserReadsPerSecond / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetTokenBucketLimiter(tenant, _ => bucket));
    }

    /// <summary>Takes one read of the tenant's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The tenant reads users' metrics faster than it may.</exception>
    public void Take(string tenantId)
    {
        if (_limiter is null) return;
        using var lease = _limiter.AttemptAcquire(tenantId);
        if (lease.IsAcquired) return;
        throw new TenantRateLimitedException(lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1), "user_id");
    }

    public void Dispose() => _limiter?.Dispose();
}
