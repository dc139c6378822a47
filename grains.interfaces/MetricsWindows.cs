namespace Telemetry.Grains;

/// <summary>A kept series of buckets: their size and how long they are kept (null: forever).</summary>
public sealed record KeptBuckets(BucketKind Kind, int Seconds, TimeSpan? Horizon);

/// <summary>
/// A window metrics are answered for: its name in the API and the dashboard, its length (null: all
/// time), the kept buckets its totals are summed from, and the series bucket used when none is asked for (a series of at most about 1,500 points).
/// </summary>
public sealed record WindowDefinition(MetricsWindow Window, string Name, string Label, TimeSpan? Length, BucketKind Source, SeriesBucket DefaultBucket);

/// <summary>A size a time series can be cut into: its name and length.</summary>
public sealed record SeriesBucketDefinition(SeriesBucket Bucket, string Name, string Label, int Seconds);

/// <summary>
/// Windows, series buckets and kept buckets, defined once. API parsing and names, the grains' sums and
/// horizons, the rollups' pruning, which series a window offers, and the dashboard's window choices
/// (served inside its page) all read these tables: a new window is a member of
/// <see cref="MetricsWindow"/> and a row of <see cref="Windows"/>.
/// </summary>
public static class MetricsWindows
{
    public static readonly KeptBuckets Minutes = new(BucketKind.Minute, 60, TimeSpan.FromHours(48));
    public static readonly KeptBuckets Hours = new(BucketKind.Hour, 3600, TimeSpan.FromDays(90));
    public static readonly KeptBuckets Days = new(BucketKind.Day, 86400, null);

    public static readonly IReadOnlyList<WindowDefinition> Windows =
    [
        new(MetricsWindow.FifteenMinutes, "15m", "last 15 minutes", TimeSpan.FromMinutes(15), BucketKind.Minute, SeriesBucket.OneMinute),
        new(MetricsWindow.OneHour, "1h", "last hour", TimeSpan.FromHours(1), BucketKind.Minute, SeriesBucket.OneMinute),
        new(MetricsWindow.OneDay, "24h", "last 24 hours", TimeSpan.FromDays(1), BucketKind.Minute, SeriesBucket.OneHour),
        new(MetricsWindow.SevenDays, "7d", "last 7 days", TimeSpan.FromDays(7), BucketKind.Hour, SeriesBucket.OneHour),
        new(MetricsWindow.ThirtyDays, "30d", "last 30 days", TimeSpan.FromDays(30), BucketKind.Hour, SeriesBucket.OneDay),
        new(MetricsWindow.All, "all", "all time", null, BucketKind.AllTime, SeriesBucket.OneDay),
    ];

    public static readonly IReadOnlyList<SeriesBucketDefinition> SeriesBuckets =
    [
        new(SeriesBucket.OneMinute, "1m", "minute", 60),
        new(SeriesBucket.FiveMinutes, "5m", "5 minutes", 300),
        new(SeriesBucket.OneHour, "1h", "hour", 3600),
        new(SeriesBucket.OneDay, "1d", "day", 86400),
    ];

    /// <summary>The window used when a request names none.</summary>
    public const MetricsWindow DefaultWindow = MetricsWindow.OneDay;

    public static readonly string WindowRule = "must be one of " + string.Join(", ", Windows.Select(w => w.Name));

    public static readonly string BucketRule = "must be one of " + string.Join(", ", SeriesBuckets.Select(b => b.Name));

    // Indexed by the enums' values (dense from 0, which MetricsWindowsTests checks): every metrics read
    // looks its window up, so without a search or an allocation.
    private static readonly WindowDefinition[] ByWindow = [.. Windows.OrderBy(w => w.Window)];
    private static readonly SeriesBucketDefinition[] ByBucket = [.. SeriesBuckets.OrderBy(b => b.Bucket)];

    public static WindowDefinition Of(MetricsWindow window) =>
        (int)window < ByWindow.Length ? ByWindow[(int)window] : throw new ArgumentOutOfRangeException(nameof(window));

    public static SeriesBucketDefinition Of(SeriesBucket bucket) =>
        (int)bucket < ByBucket.Length ? ByBucket[(int)bucket] : throw new ArgumentOutOfRangeException(nameof(bucket));

    public static KeptBuckets Of(BucketKind kind) => kind switch
    {
        BucketKind.Minute => Minutes,
        BucketKind.Hour => Hours,
        BucketKind.Day => Days,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Name(MetricsWindow window) => Of(window).Name;

    public static string Name(SeriesBucket bucket) => Of(bucket).Name;

    /// <summary>Parses a window's name; no name is the default window.</summary>
    public static bool TryParseWindow(string? text, out MetricsWindow window)
    {
        window = DefaultWindow;
        if (string.IsNullOrEmpty(text)) return true;
        foreach (var definition in ByWindow)
        {
            if (definition.Name != text) continue;
            window = definition.Window;
            return true;
        }
        return false;
    }

    public static bool TryParseBucket(string? text, out SeriesBucket bucket)
    {
        bucket = default;
        foreach (var definition in ByBucket)
        {
            if (definition.Name != text) continue;
            bucket = definition.Bucket;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The kept buckets a window's time series is cut from: its own for a bounded window, days for all
    /// time (null where days are not kept, as in a user's grain).
    /// </summary>
    public static KeptBuckets? SeriesSource(MetricsWindow window, bool hasDays = true)
    {
        var source = Of(window).Source;
        if (source == BucketKind.AllTime) return hasDays ? Days : null;
        return Of(source);
    }

    /// <summary>Whether every point of the series comes from kept buckets: the bucket is a whole number of its source's buckets.</summary>
    public static bool IsAvailable(MetricsWindow window, SeriesBucket bucket, bool hasDays = true) =>
        SeriesSource(window, hasDays) is { } source && Of(bucket).Seconds % source.Seconds == 0;

    public static string Explain(MetricsWindow window, SeriesBucket bucket)
    {
        var reach = SeriesBuckets.Select(b => Windows.Where(w => IsAvailable(w.Window, b.Bucket)).MaxBy(w => w.Length ?? TimeSpan.MaxValue) is { } longest
            ? longest.Window == MetricsWindow.All ? $"{b.Name} with every window" : $"{b.Name} up to {longest.Name}"
            : $"{b.Name} with none");
        return $"bucket {Name(bucket)} is not available for window {Name(window)}: {string.Join(", ", reach)}";
    }
}
