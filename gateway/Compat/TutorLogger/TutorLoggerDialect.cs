using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat.TutorLogger;

/// <summary>
/// The DSC 10 tutor logger's dialect (seed 000): <c>{"event_type", "user_email", "payload"}</c> is a
/// native event (type, user_id, properties); refusals name its fields.
/// </summary>
public static class TutorLoggerDialect
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["type"] = "event_type",
        ["user_id"] = "user_email",
        ["properties"] = "payload",
    };

    /// <summary>The native validator's refusals under the logger's field names.</summary>
    public static List<FieldError> Renamed(IEnumerable<FieldError> errors) => CompatJson.Rename(errors, Names);

    /// <summary>event_type → type, user_email → user_id, payload → properties; any other field is kept under properties._extra.</summary>
    public static EventDraft Read(JsonElement body, List<FieldError> errors)
    {
        var fields = CompatJson.Fields(body, "", errors, out _);
        var draft = new EventDraft
        {
            Type = CompatJson.Text(fields, "event_type", "", errors, required: true),
            UserId = CompatJson.Text(fields, "user_email", "", errors),
        };
        var payload = CompatJson.JsonObject(fields, "payload", "", errors);
        var extra = fields.Where(f => f.Key is not ("event_type" or "user_email" or "payload")).ToList();
        if (extra.Count == 0)
        {
            draft.PropertiesJson = payload?.GetRawText();
        }
        else
        {
            var others = new CompatJson.PropertiesBuilder();
            foreach (var (name, value) in extra) others.Add(name, value);
            using var extraJson = JsonDocument.Parse(others.ToJson());
            draft.PropertiesJson = new CompatJson.PropertiesBuilder().AddAll(payload).Add("_extra", extraJson.RootElement).ToJson();
        }
        return draft;
    }
}
