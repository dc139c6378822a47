namespace Telemetry.Grains;

/// <summary>
/// The token bucket of one tenant's ingest rate, for every gateway. State lives in memory only: after a
/// silo loss the bucket starts full again, which lets at most one burst more through.
/// </summary>
public sealed class TenantRateLimitGrain(TimeProvider clock) : Grain, ITenantRateLimitGrain
{
    private double _tokens = double.NaN;
    private long _refilledAt;

    public Task<RateLease> LeaseAsync(int needed, int wanted, RateLimitSettings settings)
    {
        var now = clock.GetTimestamp();
        _tokens = double.IsNaN(_tokens)
            ? settings.Burst
            : Math.Min(settings.Burst, _tokens + clock.GetElapsedTime(_refilledAt, now).TotalSeconds * settings.EventsPerSecond);
        _refilledAt = now;

        var granted = _tokens >= wanted ? wanted : _tokens >= needed ? (int)_tokens : 0;
        _tokens -= granted;
        var retryAfter = granted > 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((needed - _tokens) / Math.Max(1, settings.EventsPerSecond));
        return Task.FromResult(new RateLease(granted, retryAfter));
    }
}
