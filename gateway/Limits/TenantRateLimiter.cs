using System.Collections.Concurrent;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// Each tenant's ingest rate, counted in events (a batch takes as many tokens as it has valid events),
/// held for the whole cluster by the tenant's <see cref="ITenantRateLimitGrain"/>. This gateway leases
/// tokens from it in chunks of <see cref="RateLimitOptions.LeaseFraction"/> of a second's rate and spends
/// them locally, so most requests cost a lock and a subtraction and a tenant gets its rate however many
/// gateways it spreads over. A lease unused for <see cref="RateLimitOptions.LeaseLifetime"/> lapses, so that
/// an idle gateway does not sit on tokens that another one needs.
/// </summary>
public sealed class TenantRateLimiter(IClusterClient cluster, IOptions<RateLimitOptions> options, TimeProvider clock)
{
    private readonly RateLimitOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, LeasedTokens> _leases = new(StringComparer.Ordinal);

    /// <summary>The bucket holds at least a full batch, which would otherwise never get through.</summary>
    private RateLimitSettings Settings => new(_options.EventsPerSecond, Math.Max(_options.Burst, _options.EventsPerSecond / 10));

    /// <summary>Takes <paramref name="events"/> tokens of the tenant's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The tenant is over its limit.</exception>
    public async ValueTask TakeAsync(string tenantId, int events)
    {
        if (_options.EventsPerSecond <= 0 || events == 0) return;
        var lease = _leases.GetOrAdd(tenantId, _ => new LeasedTokens());
        if (lease.TryTake(events, clock.GetTimestamp())) return;

        // One lease call at a time per tenant: requests that arrive meanwhile spend what it brings.
        await lease.Gate.WaitAsync();
        try
        {
            if (lease.TryTake(events, clock.GetTimestamp())) return;
            var settings = Settings;
            var chunk = Math.Max(events, (int)(settings.EventsPerSecond * _options.LeaseFraction));
            var granted = await cluster.GetGrain<ITenantRateLimitGrain>(tenantId).LeaseAsync(events, chunk, settings);
            if (granted.Granted == 0) throw new TenantRateLimitedException(granted.RetryAfter);
            var now = clock.GetTimestamp();
            lease.Add(granted.Granted - events, now, now + (long)(_options.LeaseLifetime.TotalSeconds * clock.TimestampFrequency));
        }
        finally
        {
            lease.Gate.Release();
        }
    }

    /// <summary>Tokens this gateway leased for one tenant and has not spent yet.</summary>
    private sealed class LeasedTokens
    {
        private int _tokens;
        private long _lapsesAt;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public bool TryTake(int events, long now)
        {
            lock (this)
            {
                if (now >= _lapsesAt || _tokens < events) return false;
                _tokens -= events;
                return true;
            }
        }

        public void Add(int tokens, long now, long lapsesAt)
        {
            lock (this)
            {
                _tokens = (now < _lapsesAt ? _tokens : 0) + tokens;
                _lapsesAt = lapsesAt;
            }
        }
    }
}

/// <summary>The tenant (or keyless client) went over a rate limit; nothing of the request was done.</summary>
/// <param name="subject">What the limit counts, named in the problem's errors: "events" unless said.</param>
public sealed class TenantRateLimitedException(TimeSpan retryAfter, string subject = "events") : Exception($"The tenant's rate limit is exceeded; retry in {retryAfter.TotalSeconds:F1} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    public string Subject { get; } = subject;
}
