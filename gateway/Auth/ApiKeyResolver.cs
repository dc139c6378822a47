using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Telemetry.Storage;

namespace Telemetry.Gateway.Auth;

/// <summary>
/// Finds the stored key a presented key names and checks its secret in constant time. Look-ups are
/// cached for <see cref="ApiKeyOptions.CacheFor"/>, unknown ids included, so a flood of requests costs
/// PostgreSQL one query per key and period.
/// </summary>
public sealed class ApiKeyResolver(ApiKeyStore store, IOptions<ApiKeyOptions> options, TimeProvider clock)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<Entry>>> _cache = new();

    private sealed record Entry(ApiKeyStore.KeyRecord? Key, DateTimeOffset Expires);

    /// <summary>The live (not revoked) key that <paramref name="presented"/> is, or null.</summary>
    public async Task<ApiKeyStore.KeyRecord?> ResolveAsync(string presented, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(presented, out var keyId)) return null;

        var now = clock.GetUtcNow();
        var lazy = _cache.GetOrAdd(keyId, id => new Lazy<Task<Entry>>(() => LoadAsync(id)));
        Entry entry;
        try
        {
            entry = await lazy.Value.WaitAsync(cancellationToken);
        }
        catch
        {
            _cache.TryRemove(new KeyValuePair<Guid, Lazy<Task<Entry>>>(keyId, lazy));
            throw;
        }
        if (entry.Expires <= now)
        {
            _cache.TryRemove(new KeyValuePair<Guid, Lazy<Task<Entry>>>(keyId, lazy));
            return await ResolveAsync(presented, cancellationToken);
        }

        var key = entry.Key;
        if (key is null || key.RevokedAt is not null || !ApiKeyFormat.Matches(presented, key.SecretHash)) return null;
        return key;
    }

    private async Task<Entry> LoadAsync(Guid keyId)
    {
        var key = await store.FindAsync(keyId);
        return new Entry(key, clock.GetUtcNow() + options.Value.CacheFor);
    }
}
