using System.Collections.Concurrent;

namespace Telemetry.Gateway.Auth;

/// <summary>
/// Ends the long-lived requests of a key once it is revoked (or gone): a stream is authenticated once, when it opens,
/// so without this a revoked key would keep an open <c>/v1/stream</c> or gRPC stream forever. Every
/// <see cref="ApiKeyOptions.RevocationCheckInterval"/> the keys of open streams are checked through the same cache
/// that authenticates new requests, so a stream ends at most one interval after new requests are refused.
/// </summary>
public sealed partial class KeyRevocationWatch(ApiKeyResolver resolver, IOptions<ApiKeyOptions> options, TimeProvider clock, ILogger<KeyRevocationWatch> logger)
    : BackgroundService
{
    /// <summary>Keys checked at once: the checks are cached look-ups, a few hit PostgreSQL.</summary>
    private const int ParallelChecks = 8;

    private readonly ConcurrentDictionary<Watch, byte> _watches = new();

    /// <summary>Open requests watched.</summary>
    public int Count => _watches.Count;

    /// <summary>
    /// Watches a request of <paramref name="keyId"/>: its <see cref="Watch.Token"/> is cancelled when the key is revoked
    /// or the request ends. Dispose it when the request ends.
    /// </summary>
    public Watch Start(Guid keyId, CancellationToken requestAborted)
    {
        var watch = new Watch(this, keyId, requestAborted);
        _watches.TryAdd(watch, 0);
        return watch;
    }

    /// <summary>One round of checks: ends the watches of every key that is no longer live.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var keys = _watches.Keys.Select(w => w.KeyId).Distinct().ToList();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = ParallelChecks, CancellationToken = cancellationToken }, async (keyId, token) =>
        {
            bool live;
            try
            {
                live = await resolver.IsLiveAsync(keyId, token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // PostgreSQL not answering is no revocation: the streams stay, new requests meet the failure themselves.
                LogCheckFailed(ex, keyId);
                return;
            }
            if (live) return;
            foreach (var watch in _watches.Keys)
            {
                if (watch.KeyId == keyId) watch.Revoke();
            }
        });
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationCheckInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (_watches.IsEmpty) continue;
                await CheckAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping. A host stopped through its start token (as tests do) would otherwise log this as a failure.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking whether key {KeyId} of open streams was revoked failed; checking again at the next interval")]
    private partial void LogCheckFailed(Exception ex, Guid keyId);

    /// <summary>One watched request: cancelled when its key is revoked or the request ends.</summary>
    public sealed class Watch : IDisposable
    {
        private readonly KeyRevocationWatch _owner;
        private readonly CancellationTokenSource _ended;
        private int _revoked;

        internal Watch(KeyRevocationWatch owner, Guid keyId, CancellationToken requestAborted)
        {
            _owner = owner;
            KeyId = keyId;
            _ended = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        }

        public Guid KeyId { get; }

        /// <summary>Cancelled when the key is revoked or the request ends.</summary>
        public CancellationToken Token => _ended.Token;

        /// <summary>Whether the watch ended because the key was revoked.</summary>
        public bool Revoked => Volatile.Read(ref _revoked) == 1;

        internal void Revoke()
        {
            if (Interlocked.Exchange(ref _revoked, 1) == 1) return;
            try
            {
                _ended.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request ended meanwhile.
            }
        }

        public void Dispose()
        {
            _owner._watches.TryRemove(this, out _);
            _ended.Dispose();
        }
    }
}
