namespace Telemetry.Grains;

/// <summary>A window's totals; <see cref="From"/> is the start of its first bucket (null for all time).</summary>
[GenerateSerializer, Immutable, Alias("telemetry.overview")]
public sealed record MetricsOverview(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset AsOf,
    [property: Id(2)] MetricsTotals Totals);

/// <summary>A window's totals per category, most frequent first.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.categories")]
public sealed record MetricsCategories(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset AsOf,
    [property: Id(2)] CategoryTotals[] Categories);

/// <summary>A window cut into buckets, oldest first, empty buckets included.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.timeseries")]
public sealed record MetricsTimeseries(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset AsOf,
    [property: Id(2)] TimeseriesPoint[] Points);

/// <summary>One user's totals and categories for a window, and the span of all their events.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.user-metrics")]
public sealed record UserMetrics(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset AsOf,
    [property: Id(2)] MetricsTotals Totals,
    [property: Id(3)] CategoryTotals[] Categories,
    [property: Id(4)] DateTimeOffset? FirstSeen,
    [property: Id(5)] DateTimeOffset? LastSeen);
