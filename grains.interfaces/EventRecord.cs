namespace Telemetry.Grains;

/// <summary>Whether an event succeeded or failed; events without a status do not feed the success rate.</summary>
public enum EventStatus : byte
{
    Success = 1,
    Failure = 2,
}

/// <summary>One validated event on its way to the tenant's event log.</summary>
/// <param name="Properties">The JSON object text of the event's properties ("{}" when none).</param>
[GenerateSerializer, Immutable, Alias("telemetry.event-record")]
public sealed record EventRecord(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Type,
    [property: Id(2)] EventStatus? Status,
    [property: Id(3)] string? UserId,
    [property: Id(4)] string? SessionId,
    [property: Id(5)] string? Environment,
    [property: Id(6)] DateTimeOffset Timestamp,
    [property: Id(7)] DateTimeOffset ReceivedAt,
    [property: Id(8)] double? DurationMs,
    [property: Id(9)] string Properties)
{
    /// <summary>What the metrics grains need of this event once it has sequence number <paramref name="seq"/>.</summary>
    public CountedEvent ToCounted(long seq) => new(seq, Type, Status, Timestamp, DurationMs);
}

/// <summary>What the log answers for one appended event.</summary>
/// <param name="ReceivedAt">When the stored copy was received: the original's time for a duplicate.</param>
/// <param name="Refused">
/// Why the log refused to store this event though it kept the gateway's rules: PostgreSQL refused its
/// values, or its type would pass the tenant's cap on distinct types. It was not stored, and a retry of
/// the same event is refused again. Null when it was stored.
/// </param>
[GenerateSerializer, Immutable, Alias("telemetry.append-outcome")]
public readonly record struct AppendOutcome(
    [property: Id(0)] Guid Id,
    [property: Id(1)] DateTimeOffset ReceivedAt,
    [property: Id(2)] bool Duplicate,
    [property: Id(3)] EventRefusal? Refused = null);

/// <summary>The field of an event that the log refused, and why: answered to the client as a 422 for that event alone.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.event-refusal")]
public sealed record EventRefusal([property: Id(0)] string Field, [property: Id(1)] string Reason);
