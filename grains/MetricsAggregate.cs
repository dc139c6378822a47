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
    private static readonly int MinuteSeconds = MetricsWindows.Minutes.Seconds;
    private static readonly int HourSeconds = MetricsWindows.Hours.Seconds;
    private static readonly int DaySeconds = MetricsWindows.Days.Seconds;
    public static readonly TimeSpan MinuteHorizon = MetricsWindows.Minutes.Horizon!.Value;
    public static readonly TimeSpan HourHorizon = MetricsWindows.Hours.Horizon!.Value;

    /// <summary>Below this many categories a linear search finds an id; a user rarely has more.</summary>
    private const int LinearTypeSearch = 8;
    private readonly List<string> _typeNames = [];
    private Dictionary<string, int>? _typeIds;
    private readonly List<MetricsTotals> _allTime = [];
    private readonly BucketSeries _minutes = new();
    private readonly BucketSeries _hours = new();
    private readonly BucketSeries? _days = keepDays ? new BucketSeries() : null;
    private readonly WindowTotals?[]? _windows = cacheWindows ? new WindowTotals?[MetricsWindows.Windows.Count] : null;

    /// <summary>The highest sequence number counted: events at or below it are skipped.</summary>
    public long AppliedSeq { get; set; }

    public DateTimeOffset? FirstSeen { get; private set; }

    public DateTimeOffset? LastSeen { get; private set; }

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
    public void Load(BucketKind kind, long index, string type, in MetricsTotals totals)
    {
        var typeId = TypeId(type);
        if (kind == BucketKind.AllTime)
        {
            CollectionsMarshal.AsSpan(_allTime)[typeId].Add(totals);
        }
        else if (Series(kind) is { } series)
        {
            series.Find(checked((int)index), typeId).Add(totals);
        }
        InvalidateWindows();
    }

    public void LoadSeen(DateTimeOffset? firstSeen, DateTimeOffset? lastSeen)
    {
        FirstSeen = firstSeen;
        LastSeen = lastSeen;
    }

    /// <summary>Every stored cell: all time (index 0), minutes and hours (days are not exported).</summary>
    public IEnumerable<(BucketKind Kind, long Index, string Type, MetricsTotals Totals)> Export()
    {
        for (var t = 0; t < _allTime.Count; t++)
        {
            if (!_allTime[t].IsEmpty) yield return (BucketKind.AllTime, 0, _typeNames[t], _allTime[t]);
        }
        foreach (var kind in new[] { BucketKind.Minute, BucketKind.Hour })
        {
            var series = Series(kind)!;
            for (var i = 0; i < series.Count; i++)
            {
                var cell = series.Cells[i];
                yield return (kind, cell.Index, _typeNames[cell.TypeId], cell.Totals);
            }
        }
    }

    public int CellCount(BucketKind kind) => kind == BucketKind.AllTime ? _allTime.Count : Series(kind)?.Count ?? 0;

    /// <summary>Gives back the slack of the bucket arrays (after loading, when little will be added).</summary>
    public void TrimExcess()
    {
        _minutes.TrimExcess();
        _hours.TrimExcess();
        _days?.TrimExcess();
        _typeNames.TrimExcess();
        _allTime.TrimExcess();
    }

    /// <summary>Drops minute and hour buckets that fell out of their horizons.</summary>
    public void Prune(DateTimeOffset now)
    {
        var minutes = _minutes.DropBefore((int)FloorDiv((now - MinuteHorizon).ToUnixTimeSeconds(), MinuteSeconds));
        var hours = _hours.DropBefore((int)FloorDiv((now - HourHorizon).ToUnixTimeSeconds(), HourSeconds));
        if (minutes || hours) InvalidateWindows();
    }

    public MetricsTotals Totals(MetricsWindow window, DateTimeOffset now, out DateTimeOffset? from)
    {
        var total = default(MetricsTotals);
        foreach (var totals in PerType(window, now, out from)) total.Add(totals);
        return total;
    }

    /// <summary>The last <paramref name="days"/> days in hour buckets (the current hour included): the span older APIs ask for.</summary>
    public CategoryTotals[] CategoriesOverDays(int days, DateTimeOffset now, out DateTimeOffset from)
    {
        if (days is < 1 or > 90) throw new ArgumentOutOfRangeException(nameof(days), "1 to 90 days");
        var start = FloorDiv(now.ToUnixTimeSeconds(), HourSeconds) - (days * 24) + 1;
        from = DateTimeOffset.FromUnixTimeSeconds(start * HourSeconds);
        return Sorted(Sum(_hours, (int)start));
    }

    /// <summary>The window's categories, most frequent first (ties by name).</summary>
    public CategoryTotals[] Categories(MetricsWindow window, DateTimeOffset now, out DateTimeOffset? from) => Sorted(PerType(window, now, out from));

    private CategoryTotals[] Sorted(List<MetricsTotals> perType)
    {
        var categories = new List<CategoryTotals>();
        for (var t = 0; t < perType.Count; t++)
        {
            if (!perType[t].IsEmpty) categories.Add(new CategoryTotals(_typeNames[t], perType[t]));
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
        if (!MetricsWindows.IsAvailable(window, bucket, keepDays))
        {
            throw new ArgumentException(MetricsWindows.Explain(window, bucket), nameof(bucket));
        }

        var (source, sourceSeconds, start) = Resolve(window, now);
        from = start is { } s ? DateTimeOffset.FromUnixTimeSeconds(s * sourceSeconds) : null;
        source ??= _days!;
        int? typeId = type is null ? null : FindTypeId(type);
        var bucketSeconds = MetricsWindows.Of(bucket).Seconds;
        var sums = new Dictionary<long, MetricsTotals>();
        var cells = source.Cells;
        for (var i = start is { } first ? source.LowerBound((int)first) : 0; i < cells.Length; i++)
        {
            if (typeId is { } only && cells[i].TypeId != only) continue;
            var b = FloorDiv((long)cells[i].Index * sourceSeconds, bucketSeconds);
            CollectionsMarshal.GetValueRefOrAddDefault(sums, b, out _).Add(cells[i].Totals);
        }

        if (start is null)
        {
            return [.. sums.OrderBy(p => p.Key).Select(p => new TimeseriesPoint(DateTimeOffset.FromUnixTimeSeconds(p.Key * bucketSeconds), p.Value))];
        }

        var firstBucket = FloorDiv(start.Value * sourceSeconds, bucketSeconds);
        var lastBucket = Math.Max(FloorDiv(now.ToUnixTimeSeconds(), bucketSeconds), sums.Count == 0 ? long.MinValue : sums.Keys.Max());
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
        var typeId = TypeId(e.Type);
        var seconds = e.Timestamp.ToUnixTimeSeconds();
        var minute = (int)FloorDiv(seconds, MinuteSeconds);
        var hour = (int)FloorDiv(seconds, HourSeconds);
        CollectionsMarshal.AsSpan(_allTime)[typeId].Add(e);
        _minutes.Find(minute, typeId).Add(e);
        _hours.Find(hour, typeId).Add(e);
        _days?.Find((int)FloorDiv(seconds, DaySeconds), typeId).Add(e);
        if (FirstSeen is null || e.Timestamp < FirstSeen) FirstSeen = e.Timestamp;
        if (LastSeen is null || e.Timestamp > LastSeen) LastSeen = e.Timestamp;

        if (_windows is null) return;
        foreach (var w in _windows)
        {
            if (w is null) continue;
            if ((w.ByMinute ? minute : hour) >= w.Start) w.Add(typeId, e);
        }
    }

    /// <summary>The window's totals by type id (an entry per known type, empty ones included).</summary>
    private List<MetricsTotals> PerType(MetricsWindow window, DateTimeOffset now, out DateTimeOffset? from)
    {
        var (source, seconds, start) = Resolve(window, now);
        from = start is { } s ? DateTimeOffset.FromUnixTimeSeconds(s * seconds) : null;
        if (source is null) return _allTime;

        if (_windows is null) return Sum(source, (int)start!.Value);
        var cached = _windows[(int)window];
        if (cached is null || cached.Start != start)
        {
            cached = new WindowTotals(source == _minutes, (int)start!.Value, Sum(source, (int)start.Value));
            _windows[(int)window] = cached;
        }
        return cached.PerType;
    }

    private List<MetricsTotals> Sum(BucketSeries source, int start)
    {
        var perType = new List<MetricsTotals>(_typeNames.Count);
        CollectionsMarshal.SetCount(perType, _typeNames.Count);
        var sums = CollectionsMarshal.AsSpan(perType);
        var cells = source.Cells;
        for (var i = source.LowerBound(start); i < cells.Length; i++) sums[cells[i].TypeId].Add(cells[i].Totals);
        return perType;
    }

    /// <summary>The buckets a window reads and the index of its first bucket (null: all time).</summary>
    private (BucketSeries? Source, int Seconds, long? Start) Resolve(MetricsWindow window, DateTimeOffset now)
    {
        var definition = MetricsWindows.Of(window);
        if (definition.Length is not { } length) return (null, DaySeconds, null);
        var kept = MetricsWindows.Of(definition.Source);
        return (Series(definition.Source), kept.Seconds, FloorDiv(now.ToUnixTimeSeconds(), kept.Seconds) - ((long)length.TotalSeconds / kept.Seconds) + 1);
    }

    private BucketSeries? Series(BucketKind kind) => kind switch
    {
        BucketKind.Minute => _minutes,
        BucketKind.Hour => _hours,
        BucketKind.Day => _days,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The id of a known category, or -1.</summary>
    private int FindTypeId(string type)
    {
        if (_typeIds is not null) return _typeIds.TryGetValue(type, out var id) ? id : -1;
        for (var i = 0; i < _typeNames.Count; i++)
        {
            if (string.Equals(_typeNames[i], type, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    /// <summary>The id of a category, added when new: its place in the names list (and in the all-time totals).</summary>
    private int TypeId(string type)
    {
        var known = FindTypeId(type);
        if (known >= 0) return known;
        var id = _typeNames.Count;
        _typeNames.Add(CategoryNames.Share(type));
        if (_typeIds is not null) _typeIds[type] = id;
        else if (_typeNames.Count > LinearTypeSearch)
        {
            _typeIds = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < _typeNames.Count; i++) _typeIds[_typeNames[i]] = i;
        }
        _allTime.Add(default);
        if (_windows is not null)
        {
            foreach (var w in _windows) w?.PerType.Add(default);
        }
        return id;
    }

    private void InvalidateWindows()
    {
        if (_windows is not null) Array.Clear(_windows);
    }

    private static long FloorDiv(long a, long b)
    {
        var q = Math.DivRem(a, b, out var r);
        return r < 0 ? q - 1 : q;
    }

    /// <summary>A window's per-category totals, kept up to date as events arrive until its start moves.</summary>
    private sealed record WindowTotals(bool ByMinute, int Start, List<MetricsTotals> PerType)
    {
        public void Add(int typeId, in CountedEvent e) => CollectionsMarshal.AsSpan(PerType)[typeId].Add(e);
    }
}
