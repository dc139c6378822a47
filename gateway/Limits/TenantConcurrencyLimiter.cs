using System.Threading.RateLimiting;

namespace Telemetry.Gateway.Limits;

/// <summary>The long-running requests a tenant's count is kept for.</summary>
public enum TenantResource
{
    Export,
    LiveStream,
    IngestStream,
}

/// <summary>
/// Counts each tenant's open exports and streams on this gateway and refuses one over its limit
/// (<see cref="ConcurrencyLimitOptions"/>), so that one tenant cannot take the connections, memory and threads the
/// others need. A slot is held by the lease until the request ends.
/// </summary>
public sealed class TenantConcurrencyLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<(TenantResource Resource, string Tenant)> _limiter;
    private readonly ConcurrencyLimitOptions _options;

    public TenantConcurrencyLimiter(IOptions<ConcurrencyLimitOptions> options)
    {
        _options = options.Value;
        // Idle partitions (no lease out) are dropped by the limiter itself, so tenants that come and go leave nothing behind.
        _limiter = PartitionedRateLimiter.Create<(TenantResource Resource, string Tenant), (TenantResource, string)>(key =>
            Limit(key.Resource) is > 0 and var limit
                ? RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = limit, QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter(key));
    }

    /// <summary>What <c>Retry-After</c> says to a refused request.</summary>
    public TimeSpan RetryAfter => _options.RetryAfter;

    /// <summary>A slot for one request of <paramref name="tenantId"/>, or null when the tenant is at its limit; dispose it when the request ends.</summary>
    public RateLimitLease? TryAcquire(TenantResource resource, string tenantId)
    {
        var lease = _limiter.AttemptAcquire((resource, tenantId));
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        return null;
    }

    /// <summary>429 with Retry-After for an HTTP request over its tenant's limit.</summary>
    public ProblemHttpResult Refuse(HttpContext http, TenantResource resource)
    {
        http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        var (field, what) = resource switch
        {
            TenantResource.Export => ("export", "exports"),
            TenantResource.LiveStream => ("stream", "live streams"),
            _ => ("stream", "event streams"),
        };
        return Problems.Status(StatusCodes.Status429TooManyRequests, field,
            $"The tenant has {Limit(resource)} {what} open on this gateway, its limit; retry when one has ended.");
    }

    /// <summary>Retry-After in whole seconds, at least 1.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(_options.RetryAfter.TotalSeconds));

    public int Limit(TenantResource resource) => resource switch
    {
        TenantResource.Export => _options.ExportsPerTenant,
        TenantResource.LiveStream => _options.LiveStreamsPerTenant,
        _ => _options.IngestStreamsPerTenant,
    };

    public void Dispose() => _limiter.Dispose();
}
