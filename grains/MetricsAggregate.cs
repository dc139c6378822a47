using System.Runtime.InteropServices;

namespace Telemetry.Grains;

/// <summary>
/// Sparse per-category counters of a stream of events: minute buckets (kept 48 h), hour buckets
/// (kept 90 days), optionally day buckets (kept forever), and all-time totals. Only buckets that
/// hold events exist. Windows cover whole buckets: from the start of the bucket N-1 before the
/// current one, with no upper bound (events stamped slightly in the future count too).
/// </summary>
internal sealed class MetricsAggregate(bool keepDays, bool cacheWindows)
{
    public const int MinuteSeconds = 60;
    public const int HourSeconds = 3600;
    public const int DaySeconds = 86400;
    public static readonly TimeSpan MinuteHorizon = TimeSpan.FromHours(48);
    public static readonly TimeSpan HourHorizon = TimeSpan.FromDays(90);

    /// <summary>A category's counters in one bucket (index = unix seconds / bucket size).</summary>
    public readonly record struct Cell(long Index, string Type);

    private readonly Dictionary<string, MetricsTotals> _allTime = new(StringComparer.Ordinal);
    private readonly Dictionary<Cell, MetricsTotals> _minutes = [];
    private readonly Dictionary<Cell, MetricsTotals> _hours = [];
    private readonly Dictionary<Cell, MetricsTotals>? _days = keepDays ? [] : null;
    private readonly WindowTotals[]? _windows = cacheWindows ? new WindowTotals[(int)MetricsWindow.All] : null;
    private readonly HashSet<string> _types = new(StringComparer.Ordinal);

    /// <summary>The highest sequence number counted: events at or below it are skipped.</summary>
    public long AppliedSeq { get; set; }

    public DateTimeOffset? FirstSeen { get; private set; }

    public DateTimeOffset? LastSeen { get; private set; }

    public IReadOnlyDictionary<string, MetricsTotals> AllTime => _allTime;

    public IReadOnlyDictionary<Cell, MetricsTotals> Minutes => _minutes;

    public IReadOnlyDictionary<Cell, MetricsTotals> Hours => _hours;

    public IReadOnlyDictionary<Cell, MetricsTotals>? Days => _days;

    /// <summary>Counts the events above <see cref="AppliedSeq"/>; answers how many it counted.</summary>
    public int Apply(ReadOnlySpan<CountedEvent> events)
    {
        var counted = 0;
        foreach (ref readonly var e in events)
        {
            if (e.Seq <= AppliedSeq) continue;
            AppliedSeq = e.Seq;
            Add(e);
            counted++;
        }
        return counted;
    }

    /// <summary>Loads a stored cell (from rollups or a snapshot); not for live events.</summary>
    public void Load(SeriesBucketKind kind, long index, string type, in MetricsTotals totals)
    {
        type = Intern(type);
        var target = kind switch
        {
            SeriesBucketKind.AllTime => null,
            SeriesBucketKind.Minute => _minutes,
            SeriesBucketKind.Hour => _hours,
            SeriesBucketKind.Day => _days,
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        if (kind == SeriesBucketKind.AllTime) CollectionsMarshal.GetValueRefOrAddDefault(_allTime, type, out _).Add(totals);
        else if (target is not null) CollectionsMarshal.GetValueRefOrAddDefault(target, new Cell(index, type), out _).Add(totals);
        InvalidateWindows();
    }

    public void LoadSeen(DateTimeOffset? firstSeen, DateTimeOffset? lastSeen)
    {
        FirstSeen = firstSeen;
        LastSeen = lastSeen;
    }

    /// <summary>Drops minute and hour buckets that fell out of their horizons.</summary>
    public void Prune(DateTimeOffset now)
    {
        Prune(_minutes, (now - MinuteHorizon).ToUnixTimeSeconds() / MinuteSeconds);
        Prune(_hours, (now - HourHorizon).ToUnixTimeSeconds() / HourSeconds);
    }

    public MetricsTotals Totals(MetricsWindow window, DateTimeOffset now, out DateTimeOffset? from)
    {
        var total = default(MetricsTotals);
        foreach (var (_, totals) in PerType(window, now, out from)) total.Add(totals);
        return total;
    }

    /// <summary>The window's categories, most frequent first (ties by name).</summary>
    public CategoryTotals[] Categories(MetricsWindow window, DateTimeOffset now, out DateTimeOffset? from)
    {
        var categories = new List<CategoryTotals>();
        foreach (var (type, totals) in PerType(window, now, out from))
        {
            if (!totals.IsEmpty) categories.Add(new CategoryTotals(type, totals));
        }
        categories.Sort(static (a, b) => b.Totals.Count != a.Totals.Count
            ? b.Totals.Count.CompareTo(a.Totals.Count)
            : string.CompareOrdinal(a.Type, b.Type));
        return [.. categories];
    }

    /// <summary>
    /// The window cut into buckets of <paramref name="bucket"/>, oldest first; empty buckets are
    /// included for bounded windows and left out for all time.
    /// </summary>
    public TimeseriesPoint[] Timeseries(MetricsWindow window, SeriesBucket bucket, string? type, DateTimeOffset now, out DateTimeOffset? from)
    {
        if (!SeriesRules.IsAvailable(window, bucket, keepDays))
        {
            throw new ArgumentException(SeriesRules.Explain(window, bucket), nameof(bucket));
        }

        var (source, sourceSeconds, start) = Resolve(window, now);
        from = start is { } s ? DateTimeOffset.FromUnixTimeSeconds(s * sourceSeconds) : null;
        source ??= _days!;
        var bucketSeconds = SeriesRules.Seconds(bucket);
        var sums = new Dictionary<long, MetricsTotals>();
        foreach (var (cell, totals) in source)
        {
            if (start is { } first && cell.Index < first) continue;
            if (type is not null && !string.Equals(cell.Type, type, StringComparison.Ordinal)) continue;
            var b = Math.DivRem(cell.Index * sourceSeconds, bucketSeconds, out var rem);
            if (rem < 0) b--;
            CollectionsMarshal.GetValueRefOrAddDefault(sums, b, out _).Add(totals);
        }

        if (start is null)
        {
            return [.. sums.OrderBy(p => p.Key).Select(p => new TimeseriesPoint(DateTimeOffset.FromUnixTimeSeconds(p.Key * bucketSeconds), p.Value))];
        }

        var firstBucket = Math.DivRem(start.Value * sourceSeconds, bucketSeconds, out _);
        var lastBucket = Math.Max(now.ToUnixTimeSeconds() / bucketSeconds, sums.Count == 0 ? long.MinValue : sums.Keys.Max());
        var points = new TimeseriesPoint[lastBucket - firstBucket + 1];
        for (var b = firstBucket; b <= lastBucket; b++)
        {
            sums.TryGetValue(b, out var totals);
            points[b - firstBucket] = new TimeseriesPoint(DateTimeOffset.FromUnixTimeSeconds(b * bucketSeconds), totals);
        }
        return points;
    }

    private void Add(in CountedEvent e)
    {
        var type = Intern(e.Type);
        var seconds = e.Timestamp.ToUnixTimeSeconds();
        var minute = FloorDiv(seconds, MinuteSeconds);
        var hour = FloorDiv(seconds, HourSeconds);
        CollectionsMarshal.GetValueRefOrAddDefault(_allTime, type, out _).Add(e);
        CollectionsMarshal.GetValueRefOrAddDefault(_minutes, new Cell(minute, type), out _).Add(e);
        CollectionsMarshal.GetValueRefOrAddDefault(_hours, new Cell(hour, type), out _).Add(e);
        if (_days is not null) CollectionsMarshal.GetValueRefOrAddDefault(_days, new Cell(FloorDiv(seconds, DaySeconds), type), out _).Add(e);
        if (FirstSeen is null || e.Timestamp < FirstSeen) FirstSeen = e.Timestamp;
        if (LastSeen is null || e.Timestamp > LastSeen) LastSeen = e.Timestamp;

        if (_windows is null) return;
        foreach (var w in _windows)
        {
            if (w is null) continue;
            var index = w.ByMinute ? minute : hour;
            if (index >= w.Start) CollectionsMarshal.GetValueRefOrAddDefault(w.PerType, type, out _).Add(e);
        }
    }

    private Dictionary<string, MetricsTotals> PerType(MetricsWindow window, DateTimeOffset now, out DateTimeOffset? from)
    {
        var (source, seconds, start) = Resolve(window, now);
        from = start is { } s ? DateTimeOffset.FromUnixTimeSeconds(s * seconds) : null;
        if (source is null) return _allTime;

        if (_windows is not null)
        {
            var cached = _windows[(int)window];
            if (cached is null || cached.Start != start)
            {
                cached = new WindowTotals(source == _minutes, start!.Value, Sum(source, start.Value));
                _windows[(int)window] = cached;
            }
            return cached.PerType;
        }
        return Sum(source, start!.Value);
    }

    private static Dictionary<string, MetricsTotals> Sum(Dictionary<Cell, MetricsTotals> source, long start)
    {
        var perType = new Dictionary<string, MetricsTotals>(StringComparer.Ordinal);
        foreach (var (cell, totals) in source)
        {
            if (cell.Index >= start) CollectionsMarshal.GetValueRefOrAddDefault(perType, cell.Type, out _).Add(totals);
        }
        return perType;
    }

    /// <summary>The buckets a window reads and the index of its first bucket (null: all time).</summary>
    private (Dictionary<Cell, MetricsTotals>? Source, int Seconds, long? Start) Resolve(MetricsWindow window, DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        return window switch
        {
            MetricsWindow.FifteenMinutes => (_minutes, MinuteSeconds, FloorDiv(seconds, MinuteSeconds) - 14),
            MetricsWindow.OneHour => (_minutes, MinuteSeconds, FloorDiv(seconds, MinuteSeconds) - 59),
            MetricsWindow.OneDay => (_minutes, MinuteSeconds, FloorDiv(seconds, MinuteSeconds) - 1439),
            MetricsWindow.SevenDays => (_hours, HourSeconds, FloorDiv(seconds, HourSeconds) - 167),
            MetricsWindow.ThirtyDays => (_hours, HourSeconds, FloorDiv(seconds, HourSeconds) - 719),
            MetricsWindow.All => (null, DaySeconds, null),
            _ => throw new ArgumentOutOfRangeException(nameof(window)),
        };
    }

    private void Prune(Dictionary<Cell, MetricsTotals> buckets, long before)
    {
        List<Cell>? old = null;
        foreach (var cell in buckets.Keys)
        {
            if (cell.Index < before) (old ??= []).Add(cell);
        }
        if (old is null) return;
        foreach (var cell in old) buckets.Remove(cell);
        InvalidateWindows();
    }

    private void InvalidateWindows()
    {
        if (_windows is not null) Array.Clear(_windows);
    }

    private string Intern(string type)
    {
        if (_types.TryGetValue(type, out var known)) return known;
        _types.Add(type);
        return type;
    }

    private static long FloorDiv(long a, long b)
    {
        var q = Math.DivRem(a, b, out var r);
        return r < 0 ? q - 1 : q;
    }

    /// <summary>A window's per-category totals, kept up to date as events arrive until its start moves.</summary>
    private sealed record WindowTotals(bool ByMinute, long Start, Dictionary<string, MetricsTotals> PerType);
}

/// <summary>Which bucket series a stored cell belongs to; the values match the rollups' granularity column.</summary>
internal enum SeriesBucketKind : byte
{
    AllTime = 0,
    Minute = 1,
    Hour = 2,
    Day = 3,
}
