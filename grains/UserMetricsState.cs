namespace Telemetry.Grains;

/// <summary>A snapshot of a user's metrics in grain storage: the buckets and the log position they reflect.</summary>
[GenerateSerializer, Alias("telemetry.user-metrics-state")]
public sealed class UserMetricsState
{
    [Id(0)] public long AppliedSeq { get; set; }

    [Id(1)] public DateTimeOffset? FirstSeen { get; set; }

    [Id(2)] public DateTimeOffset? LastSeen { get; set; }

    [Id(3)] public List<UserMetricsCell> Cells { get; set; } = [];
}

/// <summary>One stored bucket of a user's metrics; kind 0 is all time, 1 minute, 2 hour.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.user-metrics-cell")]
public readonly record struct UserMetricsCell(
    [property: Id(0)] byte Kind,
    [property: Id(1)] long Index,
    [property: Id(2)] string Type,
    [property: Id(3)] MetricsTotals Totals);
