using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// A token bucket per client address for keyless <c>POST /events</c> (the anonymous tenant): without a
/// key, every browser shares the tenant's one bucket, and one abusive page could spend it for all the
/// others. Behind a proxy the address is the proxy's unless <see cref="RateLimitOptions.KeylessTrustForwardedFor"/>.
/// Idle buckets are dropped by the limiter itself, so addresses seen once cost nothing for long.
/// </summary>
public sealed class KeylessClientLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly bool _trustForwardedFor;

    public KeylessClientLimiter(IOptions<RateLimitOptions> options)
    {
        var o = options.Value;
        _trustForwardedFor = o.KeylessTrustForwardedFor;
        if (o.KeylessEventsPerSecond <= 0) return;
        var bucket = new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, o.KeylessBurst),
            TokensPerPeriod = o.KeylessEventsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => bucket));
    }

    /// <summary>Takes one event's token of the client's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The client is over its limit.</exception>
    public void Take(HttpContext context)
    {
        if (_limiter is null) return;
        using var lease = _limiter.AttemptAcquire(Client(context));
        if (lease.IsAcquired) return;
        throw new TenantRateLimitedException(lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1));
    }

    private string Client(HttpContext context)
    {
        if (_trustForwardedFor && context.Request.Headers["X-Forwarded-For"].ToString() is { Length: > 0 } forwarded)
        {
            // The proxy appends the address it saw: the last entry is the one a client cannot forge.
            var last = forwarded[(forwarded.LastIndexOf(',') + 1)..].Trim();
            if (IPAddress.TryParse(last, out var address)) return address.ToString();
        }
        return context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
    }

    public void Dispose() => _limiter?.Dispose();
}
