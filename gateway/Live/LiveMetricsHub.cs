using System.Collections.Concurrent;
using System.Threading.Channels;
using Telemetry.Grains;

namespace Telemetry.Gateway.Live;

/// <summary>
/// This gateway's live listeners, by tenant. The first listener of a tenant subscribes one observer
/// of this gateway to the tenant's metrics grain; the grain pushes changes to it, and it hands them
/// to every listener of the tenant. The last listener to leave unsubscribes it. Subscriptions are
/// renewed while they have listeners, so that a grain that moved or a subscription that lapsed comes back.
/// </summary>
public sealed partial class LiveMetricsHub(IClusterClient cluster, ILogger<LiveMetricsHub> logger) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<string, TenantFeed> _feeds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private PeriodicTimer? _renewal;
    private Task? _renewing;

    /// <summary>Listeners connected to this gateway, all tenants together.</summary>
    public int ListenerCount => _feeds.Values.Sum(f => f.Listeners);

    /// <summary>Tenants this gateway holds a subscription for.</summary>
    public int SubscriptionCount => _feeds.Count;

    /// <summary>A new listener of <paramref name="tenantId"/>; dispose it when the client goes.</summary>
    public async Task<Listener> ListenAsync(string tenantId, CancellationToken cancellationToken)
    {
        var listener = new Listener(this, tenantId);
        TenantFeed feed;
        bool first;
        lock (_gate)
        {
            first = !_feeds.TryGetValue(tenantId, out var existing);
            feed = existing ?? _feeds.GetOrAdd(tenantId, id => new TenantFeed(id, cluster));
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
            if (_feeds.TryGetValue(listener.TenantId, out var feed) && feed.Remove(listener) == 0)
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
    private sealed class TenantFeed(string tenantId, IClusterClient cluster) : ILiveMetricsObserver
    {
        private readonly HashSet<Listener> _listeners = [];
        private ILiveMetricsObserver? _reference;

        public string TenantId => tenantId;

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
            // The reference keeps this object reachable for the grain; it is made once and deleted on unsubscribe.
            lock (_listeners) _reference ??= cluster.CreateObjectReference<ILiveMetricsObserver>(this);
            return cluster.GetGrain<ITenantMetricsGrain>(tenantId).SubscribeAsync(_reference);
        }

        public async Task UnsubscribeAsync()
        {
            ILiveMetricsObserver? reference;
            lock (_listeners) (reference, _reference) = (_reference, null);
            if (reference is null) return;
            try
            {
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
            Listener[] listeners;
            lock (_listeners) listeners = [.. _listeners];
            foreach (var listener in listeners) listener.Push(metrics);
            return Task.CompletedTask;
        }
    }
}
