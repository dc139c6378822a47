namespace Telemetry.Tests.Grains;

/// <summary>The in-memory buckets behind every metrics grain: windows, order, pruning, series, size.</summary>
public sealed class MetricsAggregateTests
{
    internal static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 30, 30, TimeSpan.Zero);
    private long _seq;

    private CountedEvent At(DateTimeOffset when, string type = "t", EventStatus? status = null, double? duration = null) =>
        new(++_seq, type, status, when, duration);

    [Fact]
    public void A_window_starts_at_the_bucket_n_minus_1_before_the_current_one_and_has_no_upper_bound()
    {
        var metrics = new MetricsAggregate(keepDays: true, cacheWindows: true);
        metrics.Apply([
            At(new DateTimeOffset(2026, 11, 23, 12, 15, 59, TimeSpan.Zero)),
            At(new DateTimeOffset(2026, 11, 23, 12, 16, 0, TimeSpan.Zero)),
            At(Now.AddHours(3)),
        ]);
        var totals = metrics.Totals(MetricsWindow.FifteenMinutes, Now, out var from);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 16, 0, TimeSpan.Zero), from);
        Assert.Equal(2, totals.Count);
        Assert.Equal(3, metrics.Totals(MetricsWindow.OneHour, Now, out _).Count);
        Assert.Equal(3, metrics.Totals(MetricsWindow.All, Now, out var allFrom).Count);
        Assert.Null(allFrom);
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 13, 0, 0, TimeSpan.Zero), metrics.Totals(MetricsWindow.SevenDays, Now, out var weekFrom) is { Count: 3 } ? weekFrom : null);
    }

    [Fact]
    public void Events_at_or_below_the_applied_sequence_number_are_skipped()
    {
        var metrics = new MetricsAggregate(keepDays: false, cacheWindows: false);
        var first = At(Now);
        var second = At(Now);
        Assert.Equal(2, metrics.Apply([first, second]));
        Assert.Equal(0, metrics.Apply([first, second]));
        Assert.Equal(1, metrics.Apply([second, At(Now)]));
        Assert.Equal(3, metrics.Totals(MetricsWindow.All, Now, out _).Count);
    }

    [Fact]
    public void Success_rate_and_average_duration_follow_their_definitions()
    {
        var metrics = new MetricsAggregate(keepDays: true, cacheWindows: true);
        metrics.Apply([At(Now, status: EventStatus.Success, duration: 10), At(Now, status: EventStatus.Failure), At(Now, status: EventStatus.Success, duration: 20), At(Now)]);
        var totals = metrics.Totals(MetricsWindow.OneDay, Now, out _);
        Assert.Equal(4, totals.Count);
        Assert.Equal(2.0 / 3, totals.SuccessRate!.Value, 12);
        Assert.Equal(15, totals.AverageDurationMs);
        Assert.Null(new MetricsTotals().SuccessRate);
    }

    [Fact]
    public void The_window_cache_counts_new_events_and_follows_the_clock()
    {
        var cached = new MetricsAggregate(keepDays: true, cacheWindows: true);
        var plain = new MetricsAggregate(keepDays: true, cacheWindows: false);
        var random = new Random(3);
        for (var minute = 0; minute < 180; minute++)
        {
            var now = Now.AddMinutes(minute);
            var batch = Enumerable.Range(0, random.Next(0, 5)).Select(_ => At(now.AddMinutes(-random.Next(0, 60 * 30)), type: $"t{random.Next(12)}", status: (EventStatus)random.Next(1, 3), duration: random.Next(100))).ToArray();
            cached.Apply(batch);
            plain.Apply(batch);
            foreach (var window in Enum.GetValues<MetricsWindow>())
            {
                Assert.Equal(plain.Categories(window, now, out _), cached.Categories(window, now, out _));
            }
        }
    }

    [Fact]
    public void Pruning_drops_minutes_after_48_hours_and_hours_after_90_days_but_keeps_all_time_and_days()
    {
        var metrics = new MetricsAggregate(keepDays: true, cacheWindows: true);
        metrics.Apply([At(Now.AddHours(-50)), At(Now.AddDays(-100)), At(Now)]);
        Assert.Equal(3, metrics.CellCount(BucketKind.Minute));
        metrics.Prune(Now);
        Assert.Equal(1, metrics.CellCount(BucketKind.Minute));
        Assert.Equal(2, metrics.CellCount(BucketKind.Hour));
        Assert.Equal(3, metrics.CellCount(BucketKind.Day));
        Assert.Equal(2, metrics.Totals(MetricsWindow.SevenDays, Now, out _).Count);
        Assert.Equal(3, metrics.Totals(MetricsWindow.All, Now, out _).Count);
    }

    [Fact]
    public void A_series_is_zero_filled_oldest_first_and_cut_into_the_asked_buckets()
    {
        var metrics = new MetricsAggregate(keepDays: true, cacheWindows: true);
        metrics.Apply([At(Now.AddMinutes(-14), "a"), At(Now.AddMinutes(-13), "b"), At(Now, "a")]);
        var points = metrics.Timeseries(MetricsWindow.FifteenMinutes, SeriesBucket.FiveMinutes, null, Now, out var from);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 16, 0, TimeSpan.Zero), from);
        Assert.Equal([15, 20, 25, 30], points.Select(p => p.Start.Minute));
        Assert.Equal([2L, 0, 0, 1], points.Select(p => p.Totals.Count));
        Assert.Equal([1L, 0, 0, 1], metrics.Timeseries(MetricsWindow.FifteenMinutes, SeriesBucket.FiveMinutes, "a", Now, out _).Select(p => p.Totals.Count));
        Assert.Equal(15, metrics.Timeseries(MetricsWindow.FifteenMinutes, SeriesBucket.OneMinute, null, Now, out _).Length);
        Assert.Throws<ArgumentException>(() => metrics.Timeseries(MetricsWindow.SevenDays, SeriesBucket.OneMinute, null, Now, out _));
        Assert.Single(metrics.Timeseries(MetricsWindow.All, SeriesBucket.OneDay, null, Now, out _));
    }
}
