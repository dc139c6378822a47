namespace Telemetry.Gateway.Limits;

/// <summary>
/// A token bucket per tenant for <c>GET /v1/users/{id}/metrics</c>: each read of a user that no silo
/// holds activates that user's grain, which reads the user's log from PostgreSQL, so a client that walks
/// made-up user ids would otherwise turn reads into a storm of activations and queries. Per gateway.
/// </summary>
public sealed class UserReadLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedTokenBucket _buckets = new(options.Value.UserReadsPerSecond, options.Value.UserReadsBurst, "user_id");

    /// <summary>Takes one read of the tenant's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The tenant reads users' metrics faster than it may.</exception>
    public void Take(string tenantId) => _buckets.Take(tenantId);

    public void Dispose() => _buckets.Dispose();
}
