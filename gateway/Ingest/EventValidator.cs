using System.Text.RegularExpressions;

namespace Telemetry.Gateway.Ingest;

/// <summary>
/// The contract's rules for an event, in one place that every ingest surface uses. Turns a draft
/// into the record the event log stores, or says which fields break which rule.
/// </summary>
public sealed partial class EventValidator(TimeProvider clock)
{
    public const int MaxTypeLength = 128;
    public const int MaxUserIdLength = 256;

    /// <summary>Whether a user id named in a path could belong to a stored event (its length and well-formed text).</summary>
    public static bool CouldBeUserId(string userId) => TextRules.Length(userId) is >= 1 and <= MaxUserIdLength && TextRules.IsWellFormed(userId);
    public const int MaxSessionIdLength = 256;
    public const int MaxEnvironmentLength = 64;
    public const int MaxPropertiesBytes = 32 * 1024;

    /// <summary>Longest duration taken: 30 days. Bounded so that sums of a window's durations stay finite and exact enough.</summary>
    public const double MaxDurationMs = 30 * 24 * 3600 * 1000.0;

    /// <summary>
    /// Longest text of <c>properties.ticket_id</c>: the central logger's ticket filter has a btree index on it,
    /// whose rows PostgreSQL caps at about 2.7 kB (256 characters are at most 1 kB in UTF-8).
    /// </summary>
    public const int MaxTicketIdLength = 256;
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromHours(24);

    /// <summary>
    /// Earliest time an event may carry: the Unix epoch. Below it lie the calendar's ends, which Npgsql writes as
    /// PostgreSQL's -infinity (0001-01-01 is DateTime.MinValue): such an event would fall in no bucket of any series.
    /// </summary>
    public static readonly DateTimeOffset EarliestTimestamp = DateTimeOffset.UnixEpoch;

    /// <summary>The current time as the store keeps it (microseconds): an event's receipt time.</summary>
    public DateTimeOffset Now() => TruncateToMicroseconds(clock.GetUtcNow());

    /// <summary>
    /// The record to store, or null with the reasons added to <paramref name="errors"/>. Errors the
    /// surface already found while reading the draft (<paramref name="errors"/> not empty) reject it too.
    /// </summary>
    public EventRecord? Validate(EventDraft draft, DateTimeOffset receivedAt, List<FieldError> errors)
    {
        var id = Guid.Empty;
        if (draft.Id is { } idText)
        {
            if (!Guid.TryParseExact(idText, "D", out id)) errors.Add(new FieldError("id", "must be a UUID such as 0191f1a0-7c2e-7d3a-9f00-5b6c7d8e9f10"));
            else if (id == Guid.Empty) errors.Add(new FieldError("id", "must not be the nil UUID"));
        }

        if (draft.Type is not { } type) errors.Add(new FieldError("type", "is required"));
        else if (TextRules.Length(type) is < 1 or > MaxTypeLength) errors.Add(new FieldError("type", $"must be 1 to {MaxTypeLength} characters"));
        else if (TextRules.HasControl(type)) errors.Add(new FieldError("type", "must not contain control characters"));

        EventStatus? status = null;
        if (draft.Status is { } statusText)
        {
            if (statusText.Equals("success", StringComparison.OrdinalIgnoreCase)) status = EventStatus.Success;
            else if (statusText.Equals("failure", StringComparison.OrdinalIgnoreCase)) status = EventStatus.Failure;
            else errors.Add(new FieldError("status", "must be \"success\" or \"failure\""));
        }

        CheckLength(draft.UserId, "user_id", 1, MaxUserIdLength, errors);
        CheckLength(draft.SessionId, "session_id", 0, MaxSessionIdLength, errors);
        CheckLength(draft.Environment, "environment", 0, MaxEnvironmentLength, errors);

        var timestamp = receivedAt;
        if (draft.Timestamp is { } timestampText)
        {
            if (!TryParseRfc3339(timestampText, out timestamp)) errors.Add(new FieldError("timestamp", "must be an RFC 3339 date-time with an offset, such as 2026-11-23T06:04:27Z"));
            else if (timestamp - receivedAt > MaxFutureSkew) errors.Add(new FieldError("timestamp", "must not be more than 24 hours in the future"));
            else if (timestamp < EarliestTimestamp) errors.Add(new FieldError("timestamp", "must not be before 1970-01-01T00:00:00Z"));
        }

        if (draft.DurationMs is { } duration && (!double.IsFinite(duration) || duration < 0 || duration > MaxDurationMs))
        {
            errors.Add(new FieldError("duration_ms", $"must be a number from 0 to {MaxDurationMs:0} (30 days)"));
        }

        var properties = draft.PropertiesJson ?? "{}";
        if (draft.PropertiesJson is not null) CheckProperties(properties, errors);

        if (errors.Count > 0) return null;
        return new EventRecord(
            draft.Id is null ? Guid.CreateVersion7(receivedAt) : id,
            draft.Type!,
            status,
            draft.UserId,
            draft.SessionId,
            draft.Environment,
            timestamp,
            receivedAt,
            draft.DurationMs is { } d ? Math.Abs(d) : null, // -0 is stored as 0
            properties);
    }

    /// <summary>Parses RFC 3339 (date, 'T', time, fraction, and 'Z' or an offset), kept to microseconds as the store keeps it.</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        value = default;
        var match = Rfc3339().Match(text);
        if (!match.Success) return false;

        // .NET parses at most 7 fractional digits; the store keeps 6.
        var fraction = match.Groups["fraction"].Value;
        var normalized = string.Concat(match.Groups["datetime"].Value, fraction.Length > 0 ? "." + fraction[..Math.Min(7, fraction.Length)] : "", match.Groups["offset"].Value.ToUpperInvariant());
        if (!DateTimeOffset.TryParse(normalized.Replace('t', 'T'), CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) return false;
        value = TruncateToMicroseconds(parsed.ToUniversalTime());
        return true;
    }

    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    private static void CheckLength(string? text, string field, int min, int max, List<FieldError> errors)
    {
        if (text is null) return;
        // Every surface comes here, also those whose strings never passed a JSON reader (gRPC).
        if (!TextRules.IsWellFormed(text))
        {
            errors.Add(new FieldError(field, "must not contain NUL characters or unpaired surrogates"));
            return;
        }
        var length = TextRules.Length(text);
        if (length < min || length > max) errors.Add(new FieldError(field, min == 0 ? $"must be at most {max} characters" : $"must be {min} to {max} characters"));
    }

    private static void CheckProperties(string json, List<FieldError> errors)
    {
        if (Encoding.UTF8.GetByteCount(json) > MaxPropertiesBytes)
        {
            errors.Add(new FieldError("properties", $"must be at most {MaxPropertiesBytes / 1024} KiB serialized"));
            return;
        }
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (!IsStorable(root))
        {
            errors.Add(new FieldError("properties", "must not contain NUL characters or unpaired surrogates, and its numbers must be finite doubles (at most 1.8e308, at least 1e-340 apart from 0)"));
            return;
        }
        if (root.TryGetProperty("ticket_id", out var ticket) && TicketLength(ticket) > MaxTicketIdLength)
        {
            errors.Add(new FieldError("properties.ticket_id", $"must be at most {MaxTicketIdLength} characters"));
        }
    }

    /// <summary>The length of <c>properties ->> 'ticket_id'</c>, which is indexed; PostgreSQL writes a non-string value as JSON text with spaces added.</summary>
    private static int TicketLength(JsonElement ticket) => ticket.ValueKind == JsonValueKind.String
        ? TextRules.Length(ticket.GetString()!)
        : ticket.GetRawText().Length * 2;

    /// <summary>Whether PostgreSQL's jsonb takes every name, string and number in the value.</summary>
    private static bool IsStorable(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return false;
                    }
                    if (!TextRules.IsWellFormed(name) || !IsStorable(property.Value)) return false;
                }
                return true;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!IsStorable(item)) return false;
                }
                return true;
            case JsonValueKind.String:
                return EventJsonReader.TryGetString(element, out _);
            case JsonValueKind.Number:
                return JsonNumberRules.IsStorable(element);
            default:
                return true;
        }
    }

    [GeneratedRegex(@"^(?<datetime>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(?<fraction>\d{1,9}))?(?<offset>[Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
