namespace Telemetry.Grains;

/// <summary>The rules' arithmetic: a rule's value from its window's totals, and the state that value leads to.</summary>
public static class AlertEvaluation
{
    /// <summary>The rule's value, or null when the window has nothing to say (no event with a status, none with a duration).</summary>
    public static double? Value(AlertMetric metric, in MetricsTotals totals, double silenceSeconds) => metric switch
    {
        AlertMetric.ErrorRate => totals.SuccessRate is { } rate ? 1 - rate : null,
        AlertMetric.EventCount => totals.Count,
        AlertMetric.FailureCount => totals.Failure,
        AlertMetric.AverageDurationMs => totals.AverageDurationMs,
        AlertMetric.SilenceSeconds => silenceSeconds,
        _ => null,
    };

    public static bool Compares(AlertComparison comparison, double value, double threshold) => comparison switch
    {
        AlertComparison.Above => value > threshold,
        AlertComparison.AtOrAbove => value >= threshold,
        AlertComparison.Below => value < threshold,
        AlertComparison.AtOrBelow => value <= threshold,
        _ => false,
    };

    /// <summary>
    /// The state after an evaluation. A rule at rest fires when its value compares with the threshold and the window holds
    /// at least its minimum of events; a firing rule resolves when the value no longer compares with the resolve threshold
    /// (the threshold unless set) or the window is empty. Between the two thresholds the state stays: no flapping.
    /// </summary>
    /// <remarks>
    /// A firing silence rule resolves only when <paramref name="eventSinceChange"/>: silence is measured from when the
    /// evaluating grain activated when no later event is known, so a restart must not read as the silence ending.
    /// </remarks>
    public static AlertState Next(AlertRule rule, AlertState current, double? value, long events, bool eventSinceChange = true)
    {
        var silence = rule.Metric == AlertMetric.SilenceSeconds;
        if (silence && current == AlertState.Firing && !eventSinceChange) return AlertState.Firing;
        if (current == AlertState.Ok)
        {
            return value is { } v && (silence || events >= rule.MinEvents) && Compares(rule.Comparison, v, rule.Threshold)
                ? AlertState.Firing
                : AlertState.Ok;
        }
        return value is { } now && (silence || events > 0) && Compares(rule.Comparison, now, rule.ResolveThreshold ?? rule.Threshold)
            ? AlertState.Firing
            : AlertState.Ok;
    }
}
