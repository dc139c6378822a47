using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Alerts;

/// <summary>An alert rule's JSON body read into a rule, with a 422 error per field that breaks a rule of its own.</summary>
public static class AlertRuleReader
{
    public const int MaxNameLength = 128;
    public const int MaxTargets = 10;
    public const int MaxTargetLength = 2048;

    private static readonly string[] Fields =
        ["name", "metric", "category", "window", "comparison", "threshold", "resolve_threshold", "min_events", "severity", "targets", "enabled"];

    public static AlertRule? Read(JsonElement root, Guid id, AlertTargetOptions targets, List<FieldError> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("body", "must be a JSON object"));
            return null;
        }
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        try
        {
            foreach (var property in root.EnumerateObject())
            {
                if (!Fields.Contains(property.Name)) errors.Add(new FieldError(property.Name.Length > 64 ? property.Name[..64] : property.Name, "is not a field of an alert rule"));
                else if (!fields.TryAdd(property.Name, property.Value)) errors.Add(new FieldError(property.Name, "appears more than once"));
            }
        }
        catch (InvalidOperationException)
        {
            // A name with a lone surrogate escape cannot be read as text.
            errors.Add(new FieldError("body", "holds a name that is not valid Unicode"));
            return null;
        }

        var name = Text(fields, "name", MaxNameLength, required: true, errors);
        var metric = Named(fields, "metric", AlertNames.Metrics, null, errors);
        var category = Text(fields, "category", EventValidator.MaxTypeLength, required: false, errors);
        var window = MetricsWindow.FifteenMinutes;
        if (fields.TryGetValue("window", out var w) && w.ValueKind != JsonValueKind.Null
            && (!EventJsonReader.TryGetString(w, out var windowName) || !MetricsWindows.TryParseWindow(windowName, out window)))
        {
            errors.Add(new FieldError("window", MetricsWindows.WindowRule));
        }
        var comparison = Named(fields, "comparison", AlertNames.Comparisons, null, errors);
        var severity = Named(fields, "severity", AlertNames.Severities, AlertSeverity.Warning, errors);
        var threshold = Number(fields, "threshold", metric, required: true, errors);
        var resolve = Number(fields, "resolve_threshold", metric, required: false, errors);
        if (threshold is { } t && resolve is { } r && comparison is { } c
            && (c is AlertComparison.Above or AlertComparison.AtOrAbove ? r > t : r < t))
        {
            errors.Add(new FieldError("resolve_threshold", c is AlertComparison.Above or AlertComparison.AtOrAbove
                ? "must be at most the threshold: a rule that fires above a value resolves at or below it"
                : "must be at least the threshold: a rule that fires below a value resolves at or above it"));
        }
        long minEvents = 1;
        if (fields.TryGetValue("min_events", out var m) && m.ValueKind != JsonValueKind.Null
            && (m.ValueKind != JsonValueKind.Number || !m.TryGetInt64(out minEvents) || minEvents is < 1 or > 1_000_000_000))
        {
            errors.Add(new FieldError("min_events", "must be a whole number from 1 to 1,000,000,000"));
        }
        var enabled = true;
        if (fields.TryGetValue("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) enabled = e.GetBoolean();
            else errors.Add(new FieldError("enabled", "must be true or false"));
        }
        var urls = Targets(fields, targets, errors);

        if (errors.Count > 0 || name is null || metric is null || comparison is null || threshold is null || urls is null) return null;
        return new AlertRule(id, name, metric.Value, category, window, comparison.Value, threshold.Value, resolve, minEvents, severity ?? AlertSeverity.Warning, urls, enabled);
    }

    private static string? Text(Dictionary<string, JsonElement> fields, string field, int maxLength, bool required, List<FieldError> errors)
    {
        if (!fields.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new FieldError(field, "is required"));
            return null;
        }
        if (value.ValueKind != JsonValueKind.String || !EventJsonReader.TryGetString(value, out var text)
            || TextRules.Length(text) is var length && (length < 1 || length > maxLength) || TextRules.HasControl(text))
        {
            errors.Add(new FieldError(field, $"must be 1 to {maxLength} characters without control characters"));
            return null;
        }
        return text;
    }

    private static T? Named<T>(Dictionary<string, JsonElement> fields, string field, IReadOnlyDictionary<T, string> names, T? otherwise, List<FieldError> errors)
        where T : struct
    {
        if (!fields.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (otherwise is null) errors.Add(new FieldError(field, "is required"));
            return otherwise;
        }
        if (value.ValueKind == JsonValueKind.String && EventJsonReader.TryGetString(value, out var text) && AlertNames.TryParse(names, text, out var parsed)) return parsed;
        errors.Add(new FieldError(field, AlertNames.Rule(names)));
        return null;
    }

    private static double? Number(Dictionary<string, JsonElement> fields, string field, AlertMetric? metric, bool required, List<FieldError> errors)
    {
        if (!fields.TryGetValue(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required) errors.Add(new FieldError(field, "is required"));
            return null;
        }
        var (low, high) = metric == AlertMetric.ErrorRate ? (0d, 1d) : (0d, 1e15);
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || !double.IsFinite(number) || number < low || number > high)
        {
            errors.Add(new FieldError(field, metric == AlertMetric.ErrorRate ? "must be a number from 0 to 1 (a share of failures)" : "must be a number from 0 to 1e15"));
            return null;
        }
        return number;
    }

    private static string[]? Targets(Dictionary<string, JsonElement> fields, AlertTargetOptions policy, List<FieldError> errors)
    {
        if (!fields.TryGetValue("targets", out var value) || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() is < 1 or > MaxTargets)
        {
            errors.Add(new FieldError("targets", $"must be an array of 1 to {MaxTargets} webhook URLs"));
            return null;
        }
        var urls = new List<string>();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var field = $"targets[{index++}]";
            if (item.ValueKind != JsonValueKind.String || !EventJsonReader.TryGetString(item, out var url) || url.Length > MaxTargetLength)
            {
                errors.Add(new FieldError(field, $"must be a URL of at most {MaxTargetLength} characters"));
            }
            else if (AlertTargetPolicy.Check(url, policy) is { } problem)
            {
                errors.Add(new FieldError(field, problem));
            }
            else if (!urls.Contains(url))
            {
                urls.Add(url);
            }
        }
        return errors.Exists(e => e.Field.StartsWith("targets", StringComparison.Ordinal)) ? null : [.. urls];
    }
}
