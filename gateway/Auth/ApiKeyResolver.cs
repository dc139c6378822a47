using System.Threading.RateLimiting;
using Microsoft.Extensions.Caching.Memory;

namespace Telemetry.Gateway.Auth;

/// <summary>
/// Finds the stored key a presented key names and checks its secret in constant time. Look-ups are
/// cached for <see cref="ApiKeyOptions.CacheFor"/>, unknown ids included, so a flood of requests costs
/// PostgreSQL one query per key id and period; the cache is bounded, so a flood of made-up ids
/// cannot grow it without end. An id that is not among the <see cref="KnownApiKeys"/> is looked up only
/// within <see cref="ApiKeyOptions.UnknownKeyLookupsPerSecond"/>, so made-up ids cost PostgreSQL next to nothing.
/// </summary>
public sealed class ApiKeyResolver : IDisposable
{
    private readonly ApiKeyStore _store;
    private readonly KnownApiKeys _known;
    private readonly ApiKeyOptions _options;
    private readonly MemoryCache _cache;
    private readonly RateLimiter? _unknownLookups;

    public ApiKeyResolver(ApiKeyStore store, KnownApiKeys known, IOptions<ApiKeyOptions> options)
    {
        _store = store;
        _known = known;
        _options = options.Value;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.CacheSize });
        if (_options.UnknownKeyLookupsPerSecond > 0)
        {
            _unknownLookups = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = _options.UnknownKeyLookupsPerSecond,
                // Refilled ten times a second when the rate allows, so that the budget is not spent at once and then nothing.
                TokensPerPeriod = _options.UnknownKeyLookupsPerSecond >= 10 ? _options.UnknownKeyLookupsPerSecond / 10 : _options.UnknownKeyLookupsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(_options.UnknownKeyLookupsPerSecond >= 10 ? 100 : 1000),
                // A burst of keys made elsewhere waits its turn (at most a second's worth queue); past that a flood is
                // refused at once, without a look-up.
                QueueLimit = _options.UnknownKeyLookupsPerSecond,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>The live (not revoked) key that <paramref name="presented"/> is, or null.</summary>
    public async Task<ApiKeyStore.KeyRecord?> ResolveAsync(string presented, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(presented, out var keyId)) return null;
        var key = await FindAsync(keyId, cancellationToken);
        if (key is null || key.RevokedAt is not null || !ApiKeyFormat.Matches(presented, key.SecretHash)) return null;
        // A key made elsewhere before the last refresh of known ids is known from its first use: its later look-ups
        // (and the revocation checks of its streams) never wait for the budget of unknown ids.
        _known.Add(keyId);
        return key;
    }

    /// <summary>
    /// Whether the key with this id still exists and is not revoked, as a new request would find it now: an open
    /// stream of a key that is no longer live ends.
    /// </summary>
    public async Task<bool> IsLiveAsync(Guid keyId, CancellationToken cancellationToken) =>
        await FindAsync(keyId, cancellationToken) is { RevokedAt: null };

    /// <summary>Drops what is cached of a key, so that this gateway sees a change (a revocation) made through it at once.</summary>
    public void Forget(Guid keyId) => _cache.Remove(keyId);

    private async Task<ApiKeyStore.KeyRecord?> FindAsync(Guid keyId, CancellationToken cancellationToken)
    {
        if (!_cache.TryGetValue(keyId, out Lazy<Task<ApiKeyStore.KeyRecord?>>? lookup) || lookup is null)
        {
            if (!_known.IsKnownOrUnsure(keyId) && !await TakeUnknownLookupAsync(cancellationToken)) return null;
            // One look-up per key id at a time: concurrent requests share it.
            lookup = _cache.GetOrCreate(keyId, entry =>
            {
                entry.AbsoluteExpirationRelativeToNow = _options.CacheFor;
                entry.Size = 1;
                return new Lazy<Task<ApiKeyStore.KeyRecord?>>(() => _store.FindAsync(keyId));
            })!;
        }

        try
        {
            return await lookup.Value.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _cache.Remove(keyId); // a failed look-up is not remembered
            throw;
        }
    }

    private async ValueTask<bool> TakeUnknownLookupAsync(CancellationToken cancellationToken)
    {
        if (_unknownLookups is null) return false;
        using var lease = await _unknownLookups.AcquireAsync(1, cancellationToken);
        return lease.IsAcquired;
    }

    public void Dispose()
    {
        _cache.Dispose();
        _unknownLookups?.Dispose();
    }
}
