using System.Net;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// A token bucket per client address for keyless <c>POST /events</c> (the anonymous tenant): without a
/// key, every browser shares the tenant's one bucket, and one abusive page could spend it for all the
/// others. Behind a proxy the address is the proxy's unless <see cref="RateLimitOptions.KeylessTrustForwardedFor"/>.
/// Idle buckets are dropped by the limiter itself, so addresses seen once cost nothing for long.
/// </summary>
public sealed class KeylessClientLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedTokenBucket _buckets = new(options.Value.KeylessEventsPerSecond, options.Value.KeylessBurst, "events");
    private readonly bool _trustForwardedFor = options.Value.KeylessTrustForwardedFor;

    /// <summary>Takes one event's token of the client's bucket, or throws with when to retry.</summary>
    /// <exception cref="TenantRateLimitedException">The client is over its limit.</exception>
    public void Take(HttpContext context) => _buckets.Take(Client(context));

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

    public void Dispose() => _buckets.Dispose();
}
