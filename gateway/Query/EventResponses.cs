using System.Text.Json.Serialization;

namespace Telemetry.Gateway.Query;

/// <summary>An event as the API shows it: the contract's fields and <c>received_at</c>.</summary>
public sealed record EventResponse(
    Guid Id,
    string Type,
    string? Status,
    string? UserId,
    string? SessionId,
    string? Environment,
    DateTimeOffset Timestamp,
    double? DurationMs,
    [property: JsonConverter(typeof(RawJsonConverter))] string Properties,
    DateTimeOffset ReceivedAt)
{
    public static EventResponse From(StoredEvent e) => new(
        e.Id, e.Type, e.Status switch { Grains.EventStatus.Success => "success", Grains.EventStatus.Failure => "failure", _ => null },
        e.UserId, e.SessionId, e.Environment, e.Timestamp, e.DurationMs, e.Properties, e.ReceivedAt);
}

/// <summary>A page of events, newest first, and the cursor of the next page (null at the end).</summary>
public sealed record EventPage(IReadOnlyList<EventResponse> Data, string? NextCursor);

/// <summary>Writes a string that already holds JSON (from PostgreSQL's jsonb) as that JSON, not as a string.</summary>
public sealed class RawJsonConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteRawValue(value, skipInputValidation: true);
}
