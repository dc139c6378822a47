using System.Threading.RateLimiting;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// A token bucket per partition (a tenant, a client address) on this gateway, refilled ten times a second
/// (once a second for rates under ten, which a tenth of a second could not hold exactly).
/// </summary>
public sealed class PartitionedTokenBucket : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly string _subject;

    /// <param name="perSecond">Sustained rate; 0 or less turns the bucket off.</param>
    /// <param name="burst">What the bucket holds.</param>
    /// <param name="subject">What it counts, named in the 429's errors.</param>
    public PartitionedTokenBucket(int perSecond, int burst, string subject)
    {
        _subject = subject;
        if (perSecond <= 0) return;
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst),
            TokensPerPeriod = perSecond >= 10 ? perSecond / 10 : perSecond,
            ReplenishmentPeriod = perSecond >= 10 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetTokenBucketLimiter(partition, _ => bucket));
    }

    /// <summary>Takes one token of the partition's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The partition is over its rate.</exception>
    public void Take(string partition)
    {
        if (_limiter is null) return;
        using var lease = _limiter.AttemptAcquire(partition);
        if (lease.IsAcquired) return;
        throw new TenantRateLimitedException(lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1), _subject);
    }

    public void Dispose() => _limiter?.Dispose();
}
