using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Telemetry.Storage;

namespace Telemetry.Gateway.Auth;

/// <summary>
/// Finds the stored key a presented key names and checks its secret in constant time. Look-ups are
/// cached for <see cref="ApiKeyOptions.CacheFor"/>, unknown ids included, so a flood of requests costs
/// PostgreSQL one query per key id and period; the cache is bounded, so a flood of made-up ids
/// cannot grow it without end.
/// </summary>
public sealed class ApiKeyResolver(ApiKeyStore store, IOptions<ApiKeyOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.CacheSize });

    /// <summary>The live (not revoked) key that <paramref name="presented"/> is, or null.</summary>
    public async Task<ApiKeyStore.KeyRecord?> ResolveAsync(string presented, CancellationToken cancellationToken)
    {
        if (!ApiKeyFormat.TryParse(presented, out var keyId)) return null;

        // One look-up per key id at a time: concurrent requests share it.
        var lookup = _cache.GetOrCreate(keyId, entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = options.Value.CacheFor;
            entry.Size = 1;
            return new Lazy<Task<ApiKeyStore.KeyRecord?>>(() => store.FindAsync(keyId));
        })!;

        ApiKeyStore.KeyRecord? key;
        try
        {
            key = await lookup.Value.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _cache.Remove(keyId); // a failed look-up is not remembered
            throw;
        }

        if (key is null || key.RevokedAt is not null || !ApiKeyFormat.Matches(presented, key.SecretHash)) return null;
        return key;
    }

    public void Dispose() => _cache.Dispose();
}
