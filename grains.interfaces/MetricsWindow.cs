namespace Telemetry.Grains;

/// <summary>The windows metrics are answered for. Each covers whole buckets up to and including the current one.</summary>
public enum MetricsWindow : byte
{
    FifteenMinutes,
    OneHour,
    OneDay,
    SevenDays,
    ThirtyDays,
    All,
}

/// <summary>The bucket sizes a time series can be cut into.</summary>
public enum SeriesBucket : byte
{
    OneMinute,
    FiveMinutes,
    OneHour,
    OneDay,
}
