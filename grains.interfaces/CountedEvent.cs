namespace Telemetry.Grains;

/// <summary>The part of a stored event that metrics count, with its place in the tenant's log.</summary>
/// <param name="Seq">The event's sequence number in its tenant's log: metrics grains apply each at most once, in order.</param>
[GenerateSerializer, Immutable, Alias("telemetry.counted-event")]
public readonly record struct CountedEvent(
    [property: Id(0)] long Seq,
    [property: Id(1)] string Type,
    [property: Id(2)] EventStatus? Status,
    [property: Id(3)] DateTimeOffset Timestamp,
    [property: Id(4)] double? DurationMs);
