namespace Telemetry.Grains;

/// <summary>The names of alert metrics, comparisons, severities and states in the API, the database and webhooks, defined once.</summary>
public static class AlertNames
{
    public static readonly IReadOnlyDictionary<AlertMetric, string> Metrics = new Dictionary<AlertMetric, string>
    {
        [AlertMetric.ErrorRate] = "error_rate",
        [AlertMetric.EventCount] = "event_count",
        [AlertMetric.FailureCount] = "failure_count",
        [AlertMetric.AverageDurationMs] = "avg_duration_ms",
        [AlertMetric.SilenceSeconds] = "silence_seconds",
    };

    public static readonly IReadOnlyDictionary<AlertComparison, string> Comparisons = new Dictionary<AlertComparison, string>
    {
        [AlertComparison.Above] = ">",
        [AlertComparison.AtOrAbove] = ">=",
        [AlertComparison.Below] = "<",
        [AlertComparison.AtOrBelow] = "<=",
    };

    public static readonly IReadOnlyDictionary<AlertSeverity, string> Severities = new Dictionary<AlertSeverity, string>
    {
        [AlertSeverity.Info] = "info",
        [AlertSeverity.Warning] = "warning",
        [AlertSeverity.Error] = "error",
        [AlertSeverity.Critical] = "critical",
    };

    public static readonly IReadOnlyDictionary<AlertState, string> States = new Dictionary<AlertState, string>
    {
        [AlertState.Ok] = "ok",
        [AlertState.Firing] = "firing",
    };

    /// <summary>The state a webhook announces: a rule that stops firing is "resolved".</summary>
    public static string Announced(AlertState state) => state == AlertState.Firing ? "firing" : "resolved";

    public static bool TryParse<T>(IReadOnlyDictionary<T, string> names, string? text, out T value) where T : struct
    {
        foreach (var (key, name) in names)
        {
            if (string.Equals(name, text, StringComparison.Ordinal))
            {
                value = key;
                return true;
            }
        }
        value = default;
        return false;
    }

    public static T Parse<T>(IReadOnlyDictionary<T, string> names, string text) where T : struct =>
        TryParse(names, text, out var value) ? value : throw new FormatException($"'{text}' is none of {string.Join(", ", names.Values)}.");

    /// <summary>"must be one of a, b, c": the answer to a name that is none of them.</summary>
    public static string Rule<T>(IReadOnlyDictionary<T, string> names) where T : notnull => "must be one of " + string.Join(", ", names.Values);
}
