namespace Telemetry.Tests.Grains;

/// <summary>The one table of windows and buckets: complete, consistent, and giving the documented series rules.</summary>
public sealed class MetricsWindowsTests
{
    [Fact]
    public void Every_window_and_series_bucket_has_exactly_one_row_with_a_name_of_its_own()
    {
        Assert.Equal(Enum.GetValues<MetricsWindow>().Order(), MetricsWindows.Windows.Select(w => w.Window).Order());
        Assert.Equal(Enum.GetValues<SeriesBucket>().Order(), MetricsWindows.SeriesBuckets.Select(b => b.Bucket).Order());
        Assert.Equal(MetricsWindows.Windows.Count, MetricsWindows.Windows.Select(w => w.Name).Distinct().Count());
        // The grains index their cached windows by the enum's value.
        Assert.All(MetricsWindows.Windows, w => Assert.InRange((int)w.Window, 0, MetricsWindows.Windows.Count - 1));
        Assert.All(Enum.GetValues<MetricsWindow>(), w => Assert.Equal(w, MetricsWindows.Of(w).Window));
        Assert.All(Enum.GetValues<SeriesBucket>(), b => Assert.Equal(b, MetricsWindows.Of(b).Bucket));
        // A bounded window is a whole number of the buckets it sums, which are kept at least that long.
        Assert.All(MetricsWindows.Windows.Where(w => w.Length is not null), w =>
        {
            var kept = MetricsWindows.Of(w.Source);
            Assert.Equal(0, (long)w.Length!.Value.TotalSeconds % kept.Seconds);
            Assert.True(kept.Horizon is null || kept.Horizon >= w.Length, $"{w.Name} outlives its {w.Source} buckets");
            Assert.True(MetricsWindows.IsAvailable(w.Window, w.DefaultBucket), $"{w.Name}'s default bucket is not available");
        });
    }

    [Theory]
    [InlineData("15m", "1m", true)]
    [InlineData("24h", "5m", true)]
    [InlineData("7d", "1m", false)]
    [InlineData("15m", "1h", true)]
    [InlineData("30d", "1h", true)]
    [InlineData("all", "1h", false)]
    [InlineData("30d", "1d", true)]
    [InlineData("all", "1d", true)]
    public void A_series_bucket_is_offered_where_its_points_come_from_kept_buckets(string window, string bucket, bool available)
    {
        Assert.True(MetricsWindows.TryParseWindow(window, out var w));
        Assert.True(MetricsWindows.TryParseBucket(bucket, out var b));
        Assert.Equal(available, MetricsWindows.IsAvailable(w, b));
    }

    [Fact]
    public void Without_day_buckets_all_time_has_no_series_and_the_refusal_says_what_each_bucket_reaches()
    {
        Assert.False(MetricsWindows.IsAvailable(MetricsWindow.All, SeriesBucket.OneDay, hasDays: false));
        Assert.Equal("bucket 1m is not available for window 7d: 1m up to 24h, 5m up to 24h, 1h up to 30d, 1d with every window",
            MetricsWindows.Explain(MetricsWindow.SevenDays, SeriesBucket.OneMinute));
        Assert.Equal("must be one of 15m, 1h, 24h, 7d, 30d, all", MetricsWindows.WindowRule);
        Assert.True(MetricsWindows.TryParseWindow(null, out var fallback));
        Assert.Equal(MetricsWindow.OneDay, fallback);
        Assert.False(MetricsWindows.TryParseWindow("2d", out _));
    }
}
