using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat.CentralLogger;

/// <summary>
/// The central logger's dialect (seed 001): a log is a native event: category → type, executed_at →
/// timestamp, execution_time_seconds → duration_ms (× 1000), status SUCCESS → success and any other →
/// failure (the word itself kept), ticket_id, metrics, payload, workflow_version and resolution_status
/// kept in properties; refusals name its fields.
/// </summary>
public static class CentralLoggerDialect
{
    private const string DefaultCategory = "workflow_log";

    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["type"] = "category",
        ["timestamp"] = "executed_at",
        ["duration_ms"] = "execution_time_seconds",
        ["environment"] = "environment",
        ["properties"] = "payload",
        ["properties.ticket_id"] = "ticket_id",
        ["status"] = "status",
    };

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "environment", "executed_at", "ticket_id", "status", "execution_time_seconds", "category",
        "metrics", "payload", "workflow_version", "resolution_status",
    };

    /// <summary>The native validator's refusals under the logger's field names, below <paramref name="prefix"/> (logs[2].).</summary>
    public static List<FieldError> Renamed(IEnumerable<FieldError> errors, string prefix = "") => CompatJson.Rename(errors, Names, prefix);

    /// <summary>A log as a native draft: see the class summary for the mapping.</summary>
    public static EventDraft Read(JsonElement body, string prefix, List<FieldError> errors)
    {
        var fields = CompatJson.Fields(body, prefix, errors, out _);
        var status = CompatJson.Text(fields, "status", prefix, errors);
        var seconds = CompatJson.Number(fields, "execution_time_seconds", prefix, errors);
        var properties = new CompatJson.PropertiesBuilder()
            .Add("ticket_id", CompatJson.Text(fields, "ticket_id", prefix, errors))
            .Add("status", status)
            .Add("metrics", CompatJson.JsonObject(fields, "metrics", prefix, errors))
            .Add("payload", fields.TryGetValue("payload", out var payload) && payload.ValueKind != JsonValueKind.Null ? payload : null)
            .Add("workflow_version", CompatJson.Text(fields, "workflow_version", prefix, errors))
            .Add("resolution_status", CompatJson.Text(fields, "resolution_status", prefix, errors));
        foreach (var (name, value) in fields.Where(f => !Known.Contains(f.Key))) properties.Add(name, value);
        return new EventDraft
        {
            Type = CompatJson.Text(fields, "category", prefix, errors) ?? DefaultCategory,
            Environment = CompatJson.Text(fields, "environment", prefix, errors, required: true),
            Timestamp = CompatJson.Timestamp(CompatJson.Text(fields, "executed_at", prefix, errors, required: true)),
            Status = status is null ? null : status.Equals("SUCCESS", StringComparison.OrdinalIgnoreCase) ? "success" : "failure",
            DurationMs = seconds * 1000,
            PropertiesJson = properties.ToJson(),
        };
    }
}
