using Telemetry.Storage;

namespace Telemetry.Gateway.Alerts;

/// <summary>A rule as the API shows it: its definition and its state, never its secret.</summary>
public sealed record AlertRuleResponse(
    Guid Id, string Name, string Metric, string? Category, string Window, string Comparison, double Threshold, double? ResolveThreshold,
    long MinEvents, string Severity, IReadOnlyList<string> Targets, bool Enabled, string State, long Changes, DateTimeOffset? StateChangedAt,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static AlertRuleResponse Of(StoredAlertRule stored)
    {
        var rule = stored.Rule;
        return new AlertRuleResponse(rule.Id, rule.Name, AlertNames.Metrics[rule.Metric], rule.Category, MetricsWindows.Of(rule.Window).Name,
            AlertNames.Comparisons[rule.Comparison], rule.Threshold, rule.ResolveThreshold, rule.MinEvents, AlertNames.Severities[rule.Severity],
            rule.Targets, rule.Enabled, AlertNames.States[stored.State], stored.Transitions, stored.StateChangedAt, stored.CreatedAt, stored.UpdatedAt);
    }
}

/// <summary>A rule just created, with the secret its deliveries are signed with: the only time it is shown.</summary>
public sealed record CreatedAlertRuleResponse(AlertRuleResponse Rule, string Secret);

public sealed record AlertRuleList(IReadOnlyList<AlertRuleResponse> Data);

/// <summary>One delivery of a change of a rule's state to one target.</summary>
public sealed record AlertDeliveryResponse(
    long Id, long Change, string State, double? Value, string Target, string Status, int Attempts, int? LastStatus, string? LastError,
    DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    public static AlertDeliveryResponse Of(AlertRuleStore.Delivery d) =>
        new(d.Id, d.Transition, d.State, d.Value, d.Target, d.Status, d.Attempts, d.LastStatus, d.LastError, d.CreatedAt, d.FinishedAt);
}

public sealed record AlertDeliveryList(IReadOnlyList<AlertDeliveryResponse> Data);
