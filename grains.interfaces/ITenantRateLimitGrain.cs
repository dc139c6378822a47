namespace Telemetry.Grains;

/// <summary>
/// A tenant's ingest rate limit, one for the whole cluster: a token bucket, counted in events, from which
/// every gateway leases tokens in chunks, so that a tenant gets its rate however many gateways it uses.
/// Key: the tenant id.
/// </summary>
public interface ITenantRateLimitGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes <paramref name="wanted"/> tokens when the bucket has them, else all it has when that is at
    /// least <paramref name="needed"/>, else none. The rate and burst come with each call: gateways share
    /// their settings, and the grain keeps no configuration of its own.
    /// </summary>
    Task<RateLease> LeaseAsync(int needed, int wanted, RateLimitSettings settings);
}

/// <summary>A tenant's sustained rate and bucket size, in events.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.rate-limit-settings")]
public readonly record struct RateLimitSettings([property: Id(0)] int EventsPerSecond, [property: Id(1)] int Burst);

/// <summary>Tokens granted; when none, how long until the bucket holds what was needed.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.rate-lease")]
public readonly record struct RateLease([property: Id(0)] int Granted, [property: Id(1)] TimeSpan RetryAfter);
