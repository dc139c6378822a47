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
}
