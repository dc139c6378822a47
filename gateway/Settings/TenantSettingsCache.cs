using System.Collections.Concurrent;

namespace Telemetry.Gateway.Settings;

/// <summary>
/// Tenants' settings as this gateway last read them, for the paths that consult them (a rate-limited request asks
/// whether to keep its events). A change made on another gateway is seen within <see cref="Lifetime"/>.
/// </summary>
public sealed partial class TenantSettingsCache(TenantSettingsStore store, TimeProvider clock, ILogger<TenantSettingsCache> logger)
{
    /// <summary>Short: settings change rarely, and a request under the rate limit must not read PostgreSQL each time.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (TenantSettingsStore.TenantSettings Settings, DateTimeOffset ReadAt)> _read = new(StringComparer.Ordinal);

    /// <summary>Whether the tenant keeps its rate-limited events; false when PostgreSQL cannot tell (the 429 is answered all the same).</summary>
    public async ValueTask<bool> KeepsRateLimitedAsync(string tenantId)
    {
        var now = clock.GetUtcNow();
        if (_read.TryGetValue(tenantId, out var cached) && now - cached.ReadAt < Lifetime) return cached.Settings.KeepRateLimited;
        try
        {
            var settings = await store.ReadAsync(tenantId) ?? new TenantSettingsStore.TenantSettings(false);
            Remember(tenantId, settings);
            return settings.KeepRateLimited;
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            LogReadFailed(ex, tenantId);
            return false;
        }
    }

    /// <summary>What this gateway just wrote: seen here at once.</summary>
    public void Remember(string tenantId, TenantSettingsStore.TenantSettings settings) => _read[tenantId] = (settings, clock.GetUtcNow());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the settings of tenant {Tenant}; its rate-limited events are not kept meanwhile")]
    private partial void LogReadFailed(Exception ex, string tenant);
}
