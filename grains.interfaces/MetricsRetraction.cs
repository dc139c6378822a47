namespace Telemetry.Grains;

/// <summary>
/// What one chunk of an erasure took out of a tenant's rollups, for its metrics grain to take out of memory.
/// <see cref="Version"/> numbers the chunks per tenant (<c>tenants.erasure_version</c>): a grain that loaded the
/// rollups at that version or later already holds it, and one that missed a version reloads instead. Every erased event
/// was at or below <see cref="Head"/> (the log head the chunk was bounded by): a grain takes the chunk out once it has
/// counted that far, so that it never subtracts an event it has yet to add.
/// </summary>
[GenerateSerializer, Immutable, Alias("telemetry.metrics-retraction")]
public sealed record MetricsRetraction([property: Id(0)] long Version, [property: Id(1)] long Head, [property: Id(2)] RetractedCell[] Cells);

/// <summary>The totals an erasure took out of one bucket of one category (positive: what was removed).</summary>
[GenerateSerializer, Immutable, Alias("telemetry.retracted-cell")]
public readonly record struct RetractedCell(
    [property: Id(0)] BucketKind Kind,
    [property: Id(1)] long Index,
    [property: Id(2)] string Type,
    [property: Id(3)] MetricsTotals Totals);
