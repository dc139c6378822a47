using System.Collections.Concurrent;

namespace Telemetry.Gateway.Auth;

/// <summary>
/// The ids of every API key that exists, as of the last refresh (every <see cref="ApiKeyOptions.KnownKeysRefresh"/>):
/// a negative cache for every unknown id at once. Key ids are random, so a cache of the ids that missed cannot stop a
/// flood of made-up ones; knowing the ids that exist can, and without a look-up per request. Keys are never deleted
/// (revoked keys keep their row), so the set only grows, by what was created since the newest key it has seen.
/// </summary>
public sealed partial class KnownApiKeys(ApiKeyStore store, IOptions<ApiKeyOptions> options, TimeProvider clock, ILogger<KnownApiKeys> logger)
    : BackgroundService
{
    /// <summary>
    /// Each refresh reads again the keys created this long before the newest it has: created_at is the time its
    /// transaction began, so a key that committed late may carry an earlier time than one already read.
    /// </summary>
    private static readonly TimeSpan CommitSkew = TimeSpan.FromMinutes(1);

    /// <summary>Refreshes missed in a row after which the set is too old to refuse by (PostgreSQL is likely down).</summary>
    private const int StaleAfterMissedRefreshes = 5;

    private readonly ConcurrentDictionary<Guid, byte> _ids = new();
    private DateTimeOffset? _newest;
    private long _refreshedAtTicks = -1;

    /// <summary>Key ids known.</summary>
    public int Count => _ids.Count;

    /// <summary>
    /// False only when this id is certainly not a key that existed at the last refresh; true before the first refresh
    /// and when refreshes have failed for a while, so that keys are then looked up as before.
    /// </summary>
    public bool IsKnownOrUnsure(Guid keyId)
    {
        var refreshedAt = Interlocked.Read(ref _refreshedAtTicks);
        if (refreshedAt < 0) return true;
        var age = clock.GetUtcNow().UtcTicks - refreshedAt;
        if (age > options.Value.KnownKeysRefresh.Ticks * StaleAfterMissedRefreshes) return true;
        return _ids.ContainsKey(keyId);
    }

    /// <summary>A key created through this gateway: known at once, before its first use.</summary>
    public void Add(Guid keyId) => _ids.TryAdd(keyId, 0);

    /// <summary>Reads the ids created since the newest seen (all of them the first time).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var startedAt = clock.GetUtcNow();
        var (ids, newest) = await store.ListKeyIdsSinceAsync(_newest - CommitSkew, cancellationToken);
        foreach (var id in ids) _ids.TryAdd(id, 0);
        if (newest > _newest || _newest is null) _newest = newest ?? _newest;
        // An id absent now was absent when the read began: the set is as fresh as that moment.
        Interlocked.Exchange(ref _refreshedAtTicks, startedAt.UtcTicks);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.KnownKeysRefresh, clock);
        var failing = false;
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
                if (failing) LogRefreshRecovered();
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Once per outage: it is retried every refresh, and the outage is logged by those who meet it.
                if (!failing) LogRefreshFailed(ex);
                failing = true;
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the ids of new API keys failed; retrying every refresh, and unknown key ids are looked up once the known ones are too old")]
    private partial void LogRefreshFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading the ids of new API keys works again")]
    private partial void LogRefreshRecovered();
}
