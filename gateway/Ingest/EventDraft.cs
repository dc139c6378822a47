namespace Telemetry.Gateway.Ingest;

/// <summary>
/// An event as a client sent it, before the contract's rules: what every surface (native and
/// compatible) builds from its own body and hands to the <see cref="EventValidator"/>.
/// </summary>
public sealed class EventDraft
{
    public string? Id { get; set; }

    public string? Type { get; set; }

    public string? Status { get; set; }

    public string? UserId { get; set; }

    public string? SessionId { get; set; }

    public string? Environment { get; set; }

    /// <summary>RFC 3339 text, as sent.</summary>
    public string? Timestamp { get; set; }

    public double? DurationMs { get; set; }

    /// <summary>The JSON object text of the properties, as sent; null for none.</summary>
    public string? PropertiesJson { get; set; }

    /// <summary>A validated record as the draft that would make it again (the native API's fields), for a kept copy.</summary>
    public static EventDraft Of(EventRecord record) => new()
    {
        Id = record.Id.ToString("D"),
        Type = record.Type,
        Status = record.Status switch { EventStatus.Success => "success", EventStatus.Failure => "failure", _ => null },
        UserId = record.UserId,
        SessionId = record.SessionId,
        Environment = record.Environment,
        Timestamp = record.Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        DurationMs = record.DurationMs,
        PropertiesJson = record.Properties,
    };
}
