using Microsoft.Extensions.Logging;
using Telemetry.Storage;

namespace Telemetry.Grains;

/// <summary>
/// A tenant's live metrics. On activation it loads the rollups together with the log head they
/// reflect (the log moves both in one statement); after that it counts what the log hands it past
/// that head. Reads never touch PostgreSQL.
/// </summary>
public sealed partial class TenantMetricsGrain(TenantRollupStore rollups, TimeProvider clock, ILogger<TenantMetricsGrain> logger)
    : Grain, ITenantMetricsGrain
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often the tenant's log is woken: if its silo died with commits the head had not passed, they
    /// are counted once the log activates again, which must not wait for the tenant's next event.
    /// </summary>
    private static readonly TimeSpan WakeLogEvery = TimeSpan.FromSeconds(5);
    private MetricsAggregate _metrics = new(keepDays: true, cacheWindows: true);
    private long _erasureVersion;
    private readonly Queue<MetricsRetraction> _retractions = new();
    private LiveMetricsFeed? _feed;
    private DateTimeOffset _alertsWatchUntil;
    private bool _alertsPoked;
    private DateTimeOffset? _lastEventAt;

    private LiveMetricsFeed Feed => _feed ??= new LiveMetricsFeed(this, Live, clock, logger);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        this.RegisterGrainTimer(PruneAsync, PruneEvery, PruneEvery);
        this.RegisterGrainTimer(WakeLogAsync, TimeSpan.Zero, WakeLogEvery);
    }

    public async Task RetractAsync(MetricsRetraction retraction)
    {
        if (retraction.Version <= _erasureVersion) return; // the rollups this grain loaded already lacked it
        if (retraction.Version > _erasureVersion + 1)
        {
            // A chunk before it never reached this grain (its worker died between commit and call): start again from SQL.
            await ReloadAsync();
            return;
        }
        _erasureVersion = retraction.Version;
        _retractions.Enqueue(retraction);
        if (ApplyRetractions() && _feed is { } feed) await feed.ChangedAsync();
    }

    /// <summary>
    /// Takes out the erasure chunks whose events this grain has counted (it may lag behind the log head the chunk was
    /// bounded by); answers whether any was. An event the log can no longer hand on (erased, then read back after a
    /// restart of the log) is subtracted without having been added: the erasure ends with <see cref="ReloadAsync"/>.
    /// </summary>
    private bool ApplyRetractions()
    {
        var applied = false;
        while (_retractions.TryPeek(out var next) && next.Head <= _metrics.AppliedSeq)
        {
            _retractions.Dequeue();
            foreach (var cell in next.Cells) _metrics.Load(cell.Kind, cell.Index, cell.Type, cell.Totals.Negated());
            applied = true;
        }
        if (applied) _metrics.Prune(clock.GetUtcNow());
        return applied;
    }

    public async Task ReloadAsync()
    {
        // Whatever was applied is at or below the head in PostgreSQL (the log hands on only what the head passed), so the
        // rollups read now hold all of it; events the log hands on later at or below the new head are skipped.
        try
        {
            await LoadAsync(CancellationToken.None);
        }
        catch
        {
            // What it held is no longer right, and what it read is not whole: a new activation loads again.
            DeactivateOnIdle();
            throw;
        }
        _retractions.Clear();
        if (_feed is { } feed) await feed.ChangedAsync();
    }

    /// <summary>Loads the rollups into a new aggregate and swaps it in only once it is whole.</summary>
    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var snapshot = await rollups.LoadAsync(this.GetPrimaryKeyString(), now - MetricsAggregate.MinuteHorizon, now - MetricsAggregate.HourHorizon, cancellationToken);
        var metrics = new MetricsAggregate(keepDays: true, cacheWindows: true);
        foreach (var row in snapshot.Rows)
        {
            var index = row.Kind == BucketKind.AllTime ? 0 : row.BucketStart.ToUnixTimeSeconds() / MetricsWindows.Of(row.Kind).Seconds;
            metrics.Load(row.Kind, index, row.Type, row.Totals);
        }
        metrics.AppliedSeq = snapshot.Head;
        _metrics = metrics;
        _erasureVersion = snapshot.ErasureVersion;
        LogLoaded(snapshot.Rows.Count, snapshot.Head);
    }

    public Task ApplyAsync(CountedEvent[] events)
    {
        if (_metrics.Apply(events) == 0) return Task.CompletedTask;
        if (_retractions.Count > 0) ApplyRetractions();
        var now = clock.GetUtcNow();
        _lastEventAt = now;
        // One-way: the alerts grain reads what it needs when it evaluates, never on this grain's path.
        // At most one poke until the alerts grain reads again: a burst of rounds costs one message.
        if (now < _alertsWatchUntil && !_alertsPoked)
        {
            _alertsPoked = true;
            _ = GrainFactory.GetGrain<ITenantAlertsGrain>(this.GetPrimaryKeyString()).MetricsChangedAsync();
        }
        return _feed is { } feed ? feed.ChangedAsync() : Task.CompletedTask;
    }

    public Task<AlertReading> ReadForAlertsAsync(AlertInput[] inputs)
    {
        var now = clock.GetUtcNow();
        _alertsWatchUntil = now + AlertReading.WatchLifetime;
        _alertsPoked = false;
        var totals = new MetricsTotals[inputs.Length];
        Dictionary<MetricsWindow, CategoryTotals[]>? categories = null;
        for (var i = 0; i < inputs.Length; i++)
        {
            var (window, category) = (inputs[i].Window, inputs[i].Category);
            if (category is null)
            {
                totals[i] = _metrics.Totals(window, now, out _);
                continue;
            }
            categories ??= [];
            if (!categories.TryGetValue(window, out var perType)) categories[window] = perType = _metrics.Categories(window, now, out _);
            totals[i] = Array.Find(perType, c => c.Type == category).Totals;
        }
        return Task.FromResult(new AlertReading(totals, _lastEventAt, now));
    }

    public Task<MetricsCategories> GetCategoriesOverDaysAsync(int days)
    {
        var now = clock.GetUtcNow();
        var categories = _metrics.CategoriesOverDays(days, now, out var from);
        return Task.FromResult(new MetricsCategories(from, now, categories));
    }

    public Task<LiveMetrics> GetLiveAsync() => Task.FromResult(Live());

    public Task SubscribeAsync(ILiveMetricsObserver observer)
    {
        Feed.Subscribe(observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(ILiveMetricsObserver observer)
    {
        _feed?.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<int> CountSubscribersAsync() => Task.FromResult(_feed?.Count ?? 0);

    public Task<MetricsOverview> GetOverviewAsync(MetricsWindow window)
    {
        var now = clock.GetUtcNow();
        var totals = _metrics.Totals(window, now, out var from);
        return Task.FromResult(new MetricsOverview(from, now, totals));
    }

    public Task<MetricsCategories> GetCategoriesAsync(MetricsWindow window)
    {
        var now = clock.GetUtcNow();
        var categories = _metrics.Categories(window, now, out var from);
        return Task.FromResult(new MetricsCategories(from, now, categories));
    }

    public Task<MetricsTimeseries> GetTimeseriesAsync(MetricsWindow window, SeriesBucket bucket, string? type)
    {
        var now = clock.GetUtcNow();
        var points = _metrics.Timeseries(window, bucket, type, now, out var from);
        return Task.FromResult(new MetricsTimeseries(from, now, points));
    }

    private LiveMetrics Live()
    {
        var now = clock.GetUtcNow();
        var totals = _metrics.Totals(MetricsWindow.OneDay, now, out var from);
        return new LiveMetrics(this.GetPrimaryKeyString(), new MetricsOverview(from, now, totals), _metrics.Categories(MetricsWindow.OneDay, now, out _));
    }

    private Task WakeLogAsync(CancellationToken cancellationToken) => GrainFactory.GetGrain<ITenantEventLogGrain>(this.GetPrimaryKeyString()).WakeAsync();

    /// <summary>Drops expired buckets here and their rollup rows in PostgreSQL.</summary>
    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        _metrics.Prune(now);
        await rollups.PruneAsync(this.GetPrimaryKeyString(), now - MetricsAggregate.MinuteHorizon, now - MetricsAggregate.HourHorizon, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Tenant metrics loaded: {Rows} rollup rows at log head {Head}")]
    private partial void LogLoaded(int rows, long head);
}
