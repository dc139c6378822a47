namespace Telemetry.Grains;

/// <summary>The windows metrics are answered for; what each is lives in <see cref="MetricsWindows.Windows"/>.</summary>
public enum MetricsWindow : byte
{
    FifteenMinutes,
    OneHour,
    OneDay,
    SevenDays,
    ThirtyDays,
    All,
}

/// <summary>The bucket sizes a time series can be cut into; see <see cref="MetricsWindows.SeriesBuckets"/>.</summary>
public enum SeriesBucket : byte
{
    OneMinute,
    FiveMinutes,
    OneHour,
    OneDay,
}

/// <summary>
/// The series of buckets metrics are kept in. The values are stored: the rollups' granularity column
/// and the cells of users' snapshots.
/// </summary>
public enum BucketKind : byte
{
    AllTime = 0,
    Minute = 1,
    Hour = 2,
    Day = 3,
}
