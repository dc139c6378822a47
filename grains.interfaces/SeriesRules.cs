namespace Telemetry.Grains;

/// <summary>Which bucket sizes a time series offers for which window, so that every point comes from kept buckets.</summary>
public static class SeriesRules
{
    /// <summary>
    /// Minute buckets (kept 48 h) serve 1m and 5m series up to 24h windows; hour buckets (kept 90 days)
    /// serve 1h series up to 30d; day buckets (kept forever) serve 1d series for every window.
    /// </summary>
    public static bool IsAvailable(MetricsWindow window, SeriesBucket bucket, bool hasDays = true) => bucket switch
    {
        SeriesBucket.OneMinute or SeriesBucket.FiveMinutes => window <= MetricsWindow.OneDay,
        SeriesBucket.OneHour => window != MetricsWindow.All,
        SeriesBucket.OneDay => window != MetricsWindow.All || hasDays,
        _ => false,
    };

    public static string Explain(MetricsWindow window, SeriesBucket bucket) =>
        $"bucket {Name(bucket)} is not available for window {Name(window)}: 1m and 5m go up to 24h, 1h up to 30d, 1d with every window";

    public static int Seconds(SeriesBucket bucket) => bucket switch
    {
        SeriesBucket.OneMinute => 60,
        SeriesBucket.FiveMinutes => 300,
        SeriesBucket.OneHour => 3600,
        SeriesBucket.OneDay => 86400,
        _ => throw new ArgumentOutOfRangeException(nameof(bucket)),
    };

    public static string Name(SeriesBucket bucket) => bucket switch
    {
        SeriesBucket.OneMinute => "1m",
        SeriesBucket.FiveMinutes => "5m",
        SeriesBucket.OneHour => "1h",
        SeriesBucket.OneDay => "1d",
        _ => throw new ArgumentOutOfRangeException(nameof(bucket)),
    };

    public static string Name(MetricsWindow window) => window switch
    {
        MetricsWindow.FifteenMinutes => "15m",
        MetricsWindow.OneHour => "1h",
        MetricsWindow.OneDay => "24h",
        MetricsWindow.SevenDays => "7d",
        MetricsWindow.ThirtyDays => "30d",
        MetricsWindow.All => "all",
        _ => throw new ArgumentOutOfRangeException(nameof(window)),
    };

    public static bool TryParseWindow(string? text, out MetricsWindow window)
    {
        window = MetricsWindow.OneDay;
        switch (text)
        {
            case null or "": return true;
            case "15m": window = MetricsWindow.FifteenMinutes; return true;
            case "1h": window = MetricsWindow.OneHour; return true;
            case "24h": window = MetricsWindow.OneDay; return true;
            case "7d": window = MetricsWindow.SevenDays; return true;
            case "30d": window = MetricsWindow.ThirtyDays; return true;
            case "all": window = MetricsWindow.All; return true;
            default: return false;
        }
    }

    public static bool TryParseBucket(string? text, out SeriesBucket bucket)
    {
        bucket = default;
        switch (text)
        {
            case "1m": bucket = SeriesBucket.OneMinute; return true;
            case "5m": bucket = SeriesBucket.FiveMinutes; return true;
            case "1h": bucket = SeriesBucket.OneHour; return true;
            case "1d": bucket = SeriesBucket.OneDay; return true;
            default: return false;
        }
    }
}
