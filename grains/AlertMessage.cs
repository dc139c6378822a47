using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Telemetry.Grains;

/// <summary>
/// The JSON a webhook receives for a change of a rule's state: the monitoring service's fields (seed 002: message, severity,
/// timestamp, service, context), then the rule, its state, value and threshold, and the idempotency key.
/// </summary>
public static class AlertMessage
{
    public static string Write(string tenantId, AlertRule rule, AlertState state, double? value, long events, long transition, DateTimeOffset at)
    {
        var metric = AlertNames.Metrics[rule.Metric];
        var window = MetricsWindows.Of(rule.Window).Name;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("message", Message(rule, state, value, metric, window));
            json.WriteString("severity", AlertNames.Severities[rule.Severity]);
            json.WriteString("timestamp", at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("service", tenantId);
            json.WriteStartObject("context");
            json.WriteString("tenant_id", tenantId);
            json.WriteString("metric", metric);
            if (rule.Metric != AlertMetric.SilenceSeconds) json.WriteString("window", window);
            if (rule.Category is { } category) json.WriteString("category", category);
            json.WriteString("comparison", AlertNames.Comparisons[rule.Comparison]);
            json.WriteNumber("events", events);
            json.WriteEndObject();
            json.WriteString("rule_id", rule.Id);
            json.WriteString("rule_name", rule.Name);
            json.WriteString("state", AlertNames.Announced(state));
            if (value is { } v && double.IsFinite(v)) json.WriteNumber("value", v);
            else json.WriteNull("value");
            json.WriteNumber("threshold", state == AlertState.Firing ? rule.Threshold : rule.ResolveThreshold ?? rule.Threshold);
            json.WriteString("idempotency_key", $"{rule.Id:N}-{transition}");
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Message(AlertRule rule, AlertState state, double? value, string metric, string window)
    {
        var shown = value is { } v ? v.ToString("0.####", CultureInfo.InvariantCulture) : "none";
        var scope = rule.Category is { } c ? $" for {c}" : "";
        var over = rule.Metric == AlertMetric.SilenceSeconds ? "" : $" over {window}";
        return state == AlertState.Firing
            ? $"{rule.Name}: {metric}{scope}{over} is {shown} ({AlertNames.Comparisons[rule.Comparison]} {rule.Threshold.ToString(CultureInfo.InvariantCulture)})"
            : $"{rule.Name} resolved: {metric}{scope}{over} is {shown}";
    }
}
