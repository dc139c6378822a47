using System.Collections.Concurrent;

namespace Telemetry.Gateway.Usage;

/// <summary>
/// Counts what tenants send through this gateway, per hour, surface and kind, in memory until <see cref="UsageFlusher"/>
/// adds it to PostgreSQL.
/// </summary>
public sealed class UsageRecorder(TimeProvider clock)
{
    public const string Accepted = "accepted";
    public const string Duplicate = "duplicate";
    public const string Rejected = "rejected";
    public const string RateLimited = "rate_limited";
    public const string BytesReceived = "bytes";

    /// <summary>The key of <see cref="HttpContext.Items"/> where a handler names the tenant of a request sent without a key.</summary>
    public const string TenantItem = "telemetry.usage.tenant";

    private ConcurrentDictionary<UsageStore.Key, long> _counts = new();

    public void Add(string tenantId, string surface, string kind, long amount, string reason = "")
    {
        if (amount <= 0) return;
        var now = clock.GetUtcNow();
        var hour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        // The static form: no closure allocated on each ingest call.
        _counts.AddOrUpdate(new UsageStore.Key(tenantId, hour, surface, kind, reason), static (_, n) => n, static (_, sum, n) => sum + n, amount);
    }

    /// <summary>Everything counted since the last call; counts that could not be stored are given back with <see cref="Restore"/>.</summary>
    public KeyValuePair<UsageStore.Key, long>[] TakeAll()
    {
        var taken = Interlocked.Exchange(ref _counts, new ConcurrentDictionary<UsageStore.Key, long>());
        return [.. taken];
    }

    public void Restore(IEnumerable<KeyValuePair<UsageStore.Key, long>> counts)
    {
        foreach (var (key, amount) in counts) _counts.AddOrUpdate(key, static (_, n) => n, static (_, sum, n) => sum + n, amount);
    }
}
