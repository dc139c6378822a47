using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Telemetry.Client;

/// <summary>One event as the platform's native API takes it; its id is made here, so that a retried batch is stored once.</summary>
public sealed class TelemetryEvent
{
    /// <summary>A UUID v7 made when the event is: sent again after a lost answer, the server answers it as a duplicate.</summary>
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The event's category (1 to 128 characters): what metrics group by.</summary>
    public required string Type { get; init; }

    public EventStatus? Status { get; init; }

    public string? UserId { get; init; }

    public string? SessionId { get; init; }

    public string? Environment { get; init; }

    /// <summary>When it happened (default: when this object was made).</summary>
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;

    public double? DurationMs { get; init; }

    /// <summary>Anything else, as a JSON object (up to the server's limits).</summary>
    public JsonObject? Properties { get; init; }
}

/// <summary>Whether what the event records succeeded; metrics count success rates from it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EventStatus>))]
public enum EventStatus
{
    [JsonStringEnumMemberName("success")]
    Success,

    [JsonStringEnumMemberName("failure")]
    Failure,
}
