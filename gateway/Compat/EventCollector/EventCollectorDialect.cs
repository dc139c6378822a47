using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat.EventCollector;

/// <summary>
/// The event collector's dialect (seed 003), for its HTTP and its gRPC endpoints alike: a learner
/// event is a native event (event_type → type, learner_id → user_id, session_id, timestamp; course_id,
/// lesson_id, event_data and metadata kept in properties), and a batch is answered with counts, a
/// batch id and the refused fields under the collector's names.
/// </summary>
public static class EventCollectorDialect
{
    /// <summary>Most events in one request, on either transport.</summary>
    public const int MaxEvents = 100;

    /// <summary>The collector's eight event types; any other is rejected.</summary>
    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "lesson_started", "lesson_completed", "lesson_paused", "lesson_resumed",
        "assessment_started", "assessment_completed", "assessment_submitted", "progress_updated",
    };

    /// <summary>The native fields' names in the collector's words, for the errors it answers.</summary>
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["type"] = "event_type",
        ["user_id"] = "learner_id",
        ["session_id"] = "session_id",
        ["timestamp"] = "timestamp",
        ["properties"] = "event_data",
        ["id"] = "event_id",
    };

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "learner_id", "course_id", "lesson_id", "event_type", "event_data", "timestamp", "session_id", "metadata", "event_id",
    };

    /// <summary>A learner event as either transport carries it; absent text is null.</summary>
    private sealed record LearnerEvent(
        string? EventId, string? EventType, string? LearnerId, string? SessionId, string? Timestamp,
        string? CourseId, string? LessonId, JsonElement? EventData, JsonElement? Metadata, IEnumerable<KeyValuePair<string, JsonElement>> Others);

    /// <summary>A learner event of <c>POST /collect</c> as a native draft.</summary>
    public static EventDraft Read(JsonElement item, string prefix, List<FieldError> errors)
    {
        var fields = CompatJson.Fields(item, prefix, errors, out _);
        return ToDraft(new LearnerEvent(
            CompatJson.Text(fields, "event_id", prefix, errors),
            CompatJson.Text(fields, "event_type", prefix, errors, required: true),
            CompatJson.Text(fields, "learner_id", prefix, errors, required: true),
            CompatJson.Text(fields, "session_id", prefix, errors),
            CompatJson.Text(fields, "timestamp", prefix, errors, required: true),
            CompatJson.Text(fields, "course_id", prefix, errors, required: true),
            CompatJson.Text(fields, "lesson_id", prefix, errors, required: true),
            CompatJson.JsonObject(fields, "event_data", prefix, errors, required: true),
            CompatJson.JsonObject(fields, "metadata", prefix, errors),
            fields.Where(f => !Known.Contains(f.Key))), prefix, errors);
    }

    /// <summary>A learner event of the gRPC service as a native draft: its maps of strings become JSON objects of strings.</summary>
    public static EventDraft Read(Event e, string prefix, List<FieldError> errors)
    {
        string? Required(string value, string name)
        {
            if (value.Length > 0) return value;
            errors.Add(new FieldError(prefix + name, "is required"));
            return null;
        }

        foreach (var text in e.EventData.Keys.Concat(e.EventData.Values).Concat(e.Metadata.Keys).Concat(e.Metadata.Values))
        {
            if (!TextRules.IsWellFormed(text)) errors.Add(new FieldError(prefix + "event_data", "must not contain NUL characters"));
        }
        return ToDraft(new LearnerEvent(
            e.EventId.Length > 0 ? e.EventId : null,
            Required(e.EventType, "event_type"),
            Required(e.LearnerId, "learner_id"),
            e.SessionId.Length > 0 ? e.SessionId : null,
            Required(e.Timestamp, "timestamp"),
            Required(e.CourseId, "course_id"),
            Required(e.LessonId, "lesson_id"),
            ToJson(e.EventData),
            e.Metadata.Count > 0 ? ToJson(e.Metadata) : null,
            []), prefix, errors);
    }

    /// <summary>What either transport answers for a batch, before its own encoding.</summary>
    public sealed record Answer(bool Success, Guid BatchId, int Accepted, int Rejected, DateTimeOffset Timestamp, IReadOnlyList<string> EventIds, IReadOnlyList<FieldError> Errors);

    /// <summary>
    /// The collector's answer to a stored batch: a duplicate counts as accepted (the collector had no
    /// such word), success means nothing was rejected, and errors carry its field names under events[i].
    /// </summary>
    public static Answer Answered(BatchResponse result, DateTimeOffset receivedAt) => new(
        result.Rejected == 0,
        Guid.CreateVersion7(receivedAt),
        result.Accepted + result.Duplicates,
        result.Rejected,
        receivedAt,
        [.. result.Results.Select(r => r.Status == "rejected" ? "" : r.Id?.ToString() ?? "")],
        [.. result.Results.SelectMany(r => CompatJson.Rename(r.Errors, Names, $"events[{r.Index}]."))]);

    private static EventDraft ToDraft(LearnerEvent e, string prefix, List<FieldError> errors)
    {
        if (e.EventType is { } type && !EventTypes.Contains(type)) errors.Add(new FieldError(prefix + "event_type", $"must be one of {string.Join(", ", EventTypes)}"));
        var properties = new CompatJson.PropertiesBuilder()
            .Add("course_id", e.CourseId)
            .Add("lesson_id", e.LessonId)
            .Add("event_data", e.EventData)
            .Add("metadata", e.Metadata);
        foreach (var (name, value) in e.Others) properties.Add(name, value);
        return new EventDraft
        {
            Id = e.EventId,
            Type = e.EventType,
            UserId = e.LearnerId,
            SessionId = e.SessionId,
            Timestamp = CompatJson.Timestamp(e.Timestamp),
            PropertiesJson = properties.ToJson(),
        };
    }

    private static JsonElement ToJson(Google.Protobuf.Collections.MapField<string, string> map)
    {
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(map.ToDictionary(p => p.Key, p => p.Value), MapJson.Default.DictionaryStringString));
        return document.RootElement.Clone();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class MapJson : System.Text.Json.Serialization.JsonSerializerContext;
