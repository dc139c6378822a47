namespace Telemetry.Grains;

/// <summary>Counts and duration sums of a set of events: one bucket, one category, or a whole window.</summary>
[GenerateSerializer, Alias("telemetry.metrics-totals")]
public struct MetricsTotals : IEquatable<MetricsTotals>
{
    [Id(0)] public long Count { readonly get; private set; }
    [Id(1)] public long Success { readonly get; private set; }
    [Id(2)] public long Failure { readonly get; private set; }
    [Id(3)] public double DurationSum { readonly get; private set; }
    [Id(4)] public long DurationCount { readonly get; private set; }

    public MetricsTotals(long count, long success, long failure, double durationSum, long durationCount)
    {
        Count = count;
        Success = success;
        Failure = failure;
        DurationSum = durationSum;
        DurationCount = durationCount;
    }

    public readonly bool IsEmpty => Count == 0;

    /// <summary>success / (success + failure), or null when no event had a status.</summary>
    public readonly double? SuccessRate => Success + Failure == 0 ? null : (double)Success / (Success + Failure);

    /// <summary>
    /// The mean duration, or null when no event had one. Also null when the sum is no longer finite (only
    /// events stored before durations were bounded can make it so), so that an answer can always be written as JSON.
    /// </summary>
    public readonly double? AverageDurationMs => DurationCount == 0 || !double.IsFinite(DurationSum) ? null : DurationSum / DurationCount;

    /// <summary>
    /// What one event counts for: the one rule every counter follows (an event with no status counts in
    /// the total alone; one with no duration is left out of the average).
    /// </summary>
    public static MetricsTotals Of(in CountedEvent e) => new(
        1,
        e.Status == EventStatus.Success ? 1 : 0,
        e.Status == EventStatus.Failure ? 1 : 0,
        e.DurationMs ?? 0,
        e.DurationMs is null ? 0 : 1);

    public void Add(in CountedEvent e) => Add(Of(e));

    /// <summary>The same totals taken away: what an erasure subtracts.</summary>
    public readonly MetricsTotals Negated() => new(-Count, -Success, -Failure, -DurationSum, -DurationCount);

    public void Add(in MetricsTotals other)
    {
        Count += other.Count;
        Success += other.Success;
        Failure += other.Failure;
        DurationSum += other.DurationSum;
        DurationCount += other.DurationCount;
    }

    public readonly bool Equals(MetricsTotals other) =>
        Count == other.Count && Success == other.Success && Failure == other.Failure
        && DurationSum.Equals(other.DurationSum) && DurationCount == other.DurationCount;

    public override readonly bool Equals(object? obj) => obj is MetricsTotals other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(Count, Success, Failure, DurationSum, DurationCount);

    public static bool operator ==(MetricsTotals left, MetricsTotals right) => left.Equals(right);

    public static bool operator !=(MetricsTotals left, MetricsTotals right) => !left.Equals(right);
}

/// <summary>The totals of one category (event type).</summary>
[GenerateSerializer, Immutable, Alias("telemetry.category-totals")]
public readonly record struct CategoryTotals([property: Id(0)] string Type, [property: Id(1)] MetricsTotals Totals);

/// <summary>The totals of one time bucket of a series.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.timeseries-point")]
public readonly record struct TimeseriesPoint([property: Id(0)] DateTimeOffset Start, [property: Id(1)] MetricsTotals Totals);
