namespace Telemetry.Tests.Grains;

/// <summary>The rules' arithmetic: values from totals, firing over the minimum, resolving past the resolve threshold, silence after a restart.</summary>
public sealed class AlertEvaluationTests
{
    private static AlertRule Rule(AlertMetric metric, double threshold, double? resolve = null, long minEvents = 1) =>
        new(Guid.NewGuid(), "r", metric, null, MetricsWindow.FifteenMinutes, AlertComparison.Above, threshold, resolve, minEvents, AlertSeverity.Error, ["https://h.example.com/"], true);

    [Fact]
    public void An_error_rate_fires_over_its_minimum_of_events_and_resolves_only_past_the_resolve_threshold()
    {
        var rule = Rule(AlertMetric.ErrorRate, 0.5, resolve: 0.3, minEvents: 4);
        var threeFailures = new MetricsTotals(3, 0, 3, 0, 0);
        Assert.Equal(1.0, AlertEvaluation.Value(rule.Metric, threeFailures, 0));
        Assert.Equal(AlertState.Ok, AlertEvaluation.Next(rule, AlertState.Ok, 1.0, 3));
        Assert.Equal(AlertState.Firing, AlertEvaluation.Next(rule, AlertState.Ok, 1.0, 4));
        Assert.Equal(AlertState.Firing, AlertEvaluation.Next(rule, AlertState.Firing, 0.4, 10));
        Assert.Equal(AlertState.Ok, AlertEvaluation.Next(rule, AlertState.Firing, 0.29, 14));
        Assert.Equal(AlertState.Ok, AlertEvaluation.Next(rule, AlertState.Firing, null, 0));
        Assert.Null(AlertEvaluation.Value(rule.Metric, new MetricsTotals(2, 0, 0, 0, 0), 0));
    }

    [Fact]
    public void A_firing_silence_rule_resolves_on_an_event_after_it_fired_never_on_a_restart_alone()
    {
        var rule = Rule(AlertMetric.SilenceSeconds, 60);
        Assert.Equal(AlertState.Firing, AlertEvaluation.Next(rule, AlertState.Ok, 61, 0));
        Assert.Equal(AlertState.Firing, AlertEvaluation.Next(rule, AlertState.Firing, 0, 0, eventSinceChange: false));
        Assert.Equal(AlertState.Ok, AlertEvaluation.Next(rule, AlertState.Firing, 0, 0, eventSinceChange: true));
    }
}
