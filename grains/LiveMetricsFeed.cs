using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace Telemetry.Grains;

/// <summary>
/// The subscribers of a tenant's live metrics, and the push to them when the metrics changed: at once
/// when the last push is a second old, else on the first tick of a quarter-second timer after that, so
/// at most once a second. The timer runs only while someone is subscribed. It lives in its grain's turns.
/// </summary>
internal sealed class LiveMetricsFeed(Grain grain, Func<LiveMetrics> snapshot, TimeProvider clock, ILogger logger)
{
    private readonly ObserverManager<ILiveMetricsObserver> _observers = new(LiveMetricsPublisher.SubscriptionLifetime, logger);
    private static readonly TimeSpan Tick = LiveMetricsPublisher.PushEvery / 4;
    private IGrainTimer? _timer;
    private bool _changed;
    private DateTimeOffset _pushedAt;

    public int Count
    {
        get
        {
            _observers.ClearExpired();
            return _observers.Count;
        }
    }

    /// <summary>Metrics moved: pushes them now if the last push is a second old, else on the next tick.</summary>
    public Task ChangedAsync()
    {
        _changed = true;
        return _observers.Count > 0 && Due ? PushAsync() : Task.CompletedTask;
    }

    private bool Due => clock.GetUtcNow() - _pushedAt >= LiveMetricsPublisher.PushEvery;

    private async Task TickAsync()
    {
        if (_changed && Due) await PushAsync();
        _observers.ClearExpired();
        StopWhenAlone();
    }

    public void Subscribe(ILiveMetricsObserver observer)
    {
        _observers.Subscribe(observer, observer);
        _timer ??= grain.RegisterGrainTimer(TickAsync, Tick, Tick);
    }

    public void Unsubscribe(ILiveMetricsObserver observer)
    {
        _observers.Unsubscribe(observer);
        StopWhenAlone();
    }

    private async Task PushAsync()
    {
        _changed = false;
        _pushedAt = clock.GetUtcNow();
        var metrics = snapshot();
        // One-way calls: a slow or dead gateway does not hold up the others.
        await _observers.Notify(o => o.OnMetricsAsync(metrics));
    }

    private void StopWhenAlone()
    {
        if (_observers.Count > 0 || _timer is null) return;
        _timer.Dispose();
        _timer = null;
    }
}
