using System.Text.Json;
using System.Threading.Channels;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Rejected;

/// <summary>
/// Holds the events this gateway refused, as native JSON with their errors, until <see cref="RejectedEventFlusher"/>
/// writes them. A refusal is answered before it is kept: keeping it is a service to the client, never on its path.
/// </summary>
public sealed class RejectedEventRecorder
{
    private readonly Channel<RejectedEventStore.NewRejection> _waiting;
    private long _dropped;

    public RejectedEventRecorder(IOptions<RejectedOptions> options) =>
        _waiting = Channel.CreateBounded<RejectedEventStore.NewRejection>(new BoundedChannelOptions(options.Value.MaxWaiting)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });

    public ChannelReader<RejectedEventStore.NewRejection> Waiting => _waiting.Reader;

    /// <summary>Refused events that could not be kept (too many waited, or unwritable); read and reset by the flusher's log.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    public void Add(string tenantId, string surface, EventDraft draft, IReadOnlyList<FieldError> errors, DateTimeOffset receivedAt)
    {
        // A replay refused again is answered, and noted on the kept copy it came from: not kept twice.
        if (surface == IngestSurface.Replay) return;
        RejectedEventStore.NewRejection rejection;
        try
        {
            rejection = new RejectedEventStore.NewRejection(tenantId, surface, Guid.TryParseExact(draft.Id, "D", out var id) ? id : null,
                NativeJson(draft), [.. errors.Select(e => Clean(e.Field)).Distinct()], ErrorsJson(errors), receivedAt, UserOf(draft));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException)
        {
            // Whatever the event held, its refusal is answered; only the kept copy is given up.
            Interlocked.Increment(ref _dropped);
            return;
        }
        if (!_waiting.Writer.TryWrite(rejection)) Interlocked.Increment(ref _dropped);
    }

    /// <summary>The draft as the native API takes it, so that a replay goes through the native path whatever the surface.</summary>
    public static string NativeJson(EventDraft draft)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            Text(json, "id", draft.Id);
            Text(json, "type", draft.Type);
            Text(json, "status", draft.Status);
            Text(json, "user_id", draft.UserId);
            Text(json, "session_id", draft.SessionId);
            Text(json, "environment", draft.Environment);
            Text(json, "timestamp", draft.Timestamp);
            if (draft.DurationMs is { } d && double.IsFinite(d)) json.WriteNumber("duration_ms", d);
            if (draft.PropertiesJson is { } properties)
            {
                json.WritePropertyName("properties");
                // As sent (it was parsed as JSON before); its escapes stay escapes.
                json.WriteRawValue(properties, skipInputValidation: true);
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string ErrorsJson(IReadOnlyList<FieldError> errors)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (var group in errors.GroupBy(e => Clean(e.Field)))
            {
                json.WriteStartArray(group.Key);
                foreach (var error in group) json.WriteStringValue(Clean(error.Message));
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Text(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null) json.WriteString(name, Clean(value));
    }

    /// <summary>
    /// The user as stored events carry it, for an erasure to find: as sent when PostgreSQL can hold it (an event's user id
    /// may hold control characters other than NUL), else cleaned like the kept copy.
    /// </summary>
    private static string? UserOf(EventDraft draft) =>
        draft.UserId is not { } user ? null : TextRules.IsWellFormed(user) && !user.Contains('\0', StringComparison.Ordinal) ? user : Clean(user);

    /// <summary>
    /// Lone surrogates (which JSON cannot carry as text) and control characters (NUL, which PostgreSQL's text cannot
    /// hold) become U+FFFD: the kept copy shows where the offending character was.
    /// </summary>
    private static string Clean(string text)
    {
        if (TextRules.IsWellFormed(text) && !TextRules.HasControl(text)) return text;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (char.IsHighSurrogate(c) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(c) || c < ' ' && c is not ('\t' or '\n' or '\r') || c == '\u007f') chars[i] = '\uFFFD';
        }
        return new string(chars);
    }
}
