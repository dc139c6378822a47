using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Telemetry.Gateway.Live;

/// <summary>
/// This gateway's live subscriptions, by tenant. The first listener of a tenant (a live stream) or the
/// first read of its 24h metrics subscribes one observer of this gateway to the tenant's metrics grain;
/// the grain pushes changes to it (at most once a second), and it hands them to every listener and keeps
/// the newest as the tenant's copy, from which reads are answered while it is fresh. A subscription ends
/// when its last listener left and nobody read the copy for <see cref="ReadersKeepFor"/>; it is renewed
/// until then, so that a grain that moved or a subscription that lapsed comes back.
/// </summary>
public sealed partial class LiveMetricsHub(IClusterClient cluster, TimeProvider clock, ILogger<LiveMetricsHub> logger) : IHostedService, IDisposable
{
    /// <summary>How long a subscription made for reads outlives the last read.</summary>
    public static readonly TimeSpan ReadersKeepFor = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, TenantFeed> _feeds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private PeriodicTimer? _renewal;
    private Task? _renewing;

    /// <summary>Listeners connected to this gateway, all tenants together.</summary>
    public int ListenerCount => _feeds.Values.Sum(f => f.Listeners);

    /// <summary>Tenants this gateway holds a subscription for.</summary>
    public int SubscriptionCount => _feeds.Count;

    /// <summary>Whether this gateway holds a subscription for the tenant (for listeners or readers).</summary>
    public bool IsSubscribed(string tenantId) => _feeds.ContainsKey(tenantId);

    /// <summary>A new listener of <paramref name="tenantId"/>; dispose it when the client goes.</summary>
    public async Task<Listener> ListenAsync(string tenantId, CancellationToken cancellationToken)
    {
        var listener = new Listener(this, tenantId);
        TenantFeed feed;
        bool first;
        lock (_gate)
        {
            first = !_feeds.TryGetValue(tenantId, out var existing);
            feed = existing ?? _feeds.GetOrAdd(tenantId, id => new TenantFeed(id, cluster, clock));
            feed.Add(listener);
        }
        if (first)
        {
            try
            {
                await feed.SubscribeAsync().WaitAsync(cancellationToken);
            }
            catch
            {
                listener.Dispose();
                throw;
            }
        }
        return listener;
    }

    /// <summary>
    /// The tenant's 24h metrics: this gateway's copy when it is at most <paramref name="maxAge"/> old (its age
    /// with it), else the grain's answer (age zero), which becomes the copy. The first read of a tenant
    /// subscribes, so that while its metrics change the copy follows them and reads stay on this gateway.
    /// </summary>
    public async Task<(LiveMetrics Metrics, TimeSpan Age)> ReadAsync(string tenantId, TimeSpan maxAge)
    {
        var now = clock.GetUtcNow();
        TenantFeed feed;
        bool first;
        lock (_gate)
        {
            first = !_feeds.TryGetValue(tenantId, out var existing);
            feed = existing ?? _feeds.GetOrAdd(tenantId, id => new TenantFeed(id, cluster, clock));
            feed.ReadAt = now;
        }
        if (first) _ = SubscribeForReadsAsync(feed);
        if (feed.Copy is { } copy && now - copy.ReceivedAt <= maxAge) return (copy.Metrics, now - copy.ReceivedAt);

        var metrics = await cluster.GetGrain<ITenantMetricsGrain>(tenantId).GetLiveAsync();
        feed.Keep(metrics, clock.GetUtcNow());
        return (metrics, TimeSpan.Zero);
    }

    private async Task SubscribeForReadsAsync(TenantFeed feed)
    {
        try
        {
            await feed.SubscribeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRenewFailed(ex, feed.TenantId);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _renewal = new PeriodicTimer(LiveMetricsPublisher.RenewEvery);
        _renewing = RenewAsync(_renewal);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _renewal?.Dispose();
        if (_renewing is not null) await _renewing;
        foreach (var feed in _feeds.Values) await feed.UnsubscribeAsync();
        _feeds.Clear();
    }

    public void Dispose() => _renewal?.Dispose();

    private void Leave(Listener listener)
    {
        TenantFeed? emptied = null;
        lock (_gate)
        {
            if (_feeds.TryGetValue(listener.TenantId, out var feed) && feed.Remove(listener) == 0 && !feed.ReadSince(clock.GetUtcNow() - ReadersKeepFor))
            {
                _feeds.TryRemove(listener.TenantId, out _);
                emptied = feed;
            }
        }
        if (emptied is not null) _ = emptied.UnsubscribeAsync();
    }

    private async Task RenewAsync(PeriodicTimer timer)
    {
        while (await timer.WaitForNextTickAsync())
        {
            foreach (var feed in _feeds.Values)
            {
                if (Unused(feed))
                {
                    await feed.UnsubscribeAsync();
                    continue;
                }
                try
                {
                    await feed.SubscribeAsync();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogRenewFailed(ex, feed.TenantId);
                }
            }
        }
    }

    /// <summary>Removes a feed that nobody listens to or read lately; true when it did.</summary>
    private bool Unused(TenantFeed feed)
    {
        lock (_gate)
        {
            if (feed.Listeners > 0 || feed.ReadSince(clock.GetUtcNow() - ReadersKeepFor)) return false;
            return _feeds.TryRemove(new KeyValuePair<string, TenantFeed>(feed.TenantId, feed));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the live metrics subscription of tenant {Tenant} failed; retrying at the next renewal")]
    private partial void LogRenewFailed(Exception ex, string tenant);

    /// <summary>One client's view of a tenant's pushes: only the newest waits, older ones are dropped.</summary>
    public sealed class Listener : IDisposable
    {
        private readonly LiveMetricsHub _hub;
        private readonly Channel<LiveMetrics> _updates = Channel.CreateBounded<LiveMetrics>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        private int _disposed;

        internal Listener(LiveMetricsHub hub, string tenantId)
        {
            _hub = hub;
            TenantId = tenantId;
        }

        public string TenantId { get; }

        public ChannelReader<LiveMetrics> Updates => _updates.Reader;

        internal void Push(LiveMetrics metrics) => _updates.Writer.TryWrite(metrics);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            _updates.Writer.TryComplete();
            _hub.Leave(this);
        }
    }

    /// <summary>A tenant's subscription on this gateway and its listeners.</summary>
    private sealed class TenantFeed(string tenantId, IClusterClient cluster, TimeProvider clock) : ILiveMetricsObserver
    {
        private readonly HashSet<Listener> _listeners = [];
        private ILiveMetricsObserver? _reference;
        private Task _subscribing = Task.CompletedTask;
        private bool _closed;
        private long _readAtTicks;

        public string TenantId => tenantId;

        /// <summary>The newest metrics pushed or read, and when this gateway got them.</summary>
        public PushedCopy? Copy { get; private set; }

        /// <summary>When a request last read the tenant's metrics through this feed.</summary>
        public DateTimeOffset ReadAt
        {
            set => Interlocked.Exchange(ref _readAtTicks, value.UtcTicks);
        }

        public bool ReadSince(DateTimeOffset at) => Interlocked.Read(ref _readAtTicks) >= at.UtcTicks;

        /// <summary>Keeps <paramref name="metrics"/> as the copy unless the copy is newer (a push that overtook a read).</summary>
        public void Keep(LiveMetrics metrics, DateTimeOffset receivedAt)
        {
            lock (_listeners)
            {
                if (Copy is null || Copy.Metrics.Overview.AsOf <= metrics.Overview.AsOf) Copy = new PushedCopy(metrics, receivedAt);
            }
        }

        public int Listeners
        {
            get
            {
                lock (_listeners) return _listeners.Count;
            }
        }

        public void Add(Listener listener)
        {
            lock (_listeners) _listeners.Add(listener);
        }

        public int Remove(Listener listener)
        {
            lock (_listeners)
            {
                _listeners.Remove(listener);
                return _listeners.Count;
            }
        }

        public Task SubscribeAsync()
        {
            lock (_listeners)
            {
                // A feed that was given up stays so: a renewal that raced its removal must not subscribe it again,
                // which would leave a subscription nobody removes until it lapses.
                if (_closed) return Task.CompletedTask;
                // The reference keeps this object reachable for the grain; it is made once and deleted on unsubscribe.
                var reference = _reference ??= cluster.CreateObjectReference<ILiveMetricsObserver>(this);
                var subscribing = cluster.GetGrain<ITenantMetricsGrain>(tenantId).SubscribeAsync(reference);
                _subscribing = subscribing;
                return subscribing;
            }
        }

        public async Task UnsubscribeAsync()
        {
            ILiveMetricsObserver? reference;
            Task subscribing;
            lock (_listeners)
            {
                _closed = true;
                (reference, _reference, subscribing) = (_reference, null, _subscribing);
            }
            if (reference is null) return;
            try
            {
                // After the last subscription arrived: sent together, the grain could take the two in either order.
                await subscribing.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                await cluster.GetGrain<ITenantMetricsGrain>(tenantId).UnsubscribeAsync(reference);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The subscription lapses by itself when not renewed.
            }
            finally
            {
                cluster.DeleteObjectReference<ILiveMetricsObserver>(reference);
            }
        }

        public Task OnMetricsAsync(LiveMetrics metrics)
        {
            Keep(metrics, clock.GetUtcNow());
            Listener[] listeners;
            lock (_listeners) listeners = [.. _listeners];
            foreach (var listener in listeners) listener.Push(metrics);
            return Task.CompletedTask;
        }
    }

    /// <summary>A tenant's metrics as this gateway holds them.</summary>
    private sealed record PushedCopy(LiveMetrics Metrics, DateTimeOffset ReceivedAt);
}
