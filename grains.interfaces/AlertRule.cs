namespace Telemetry.Grains;

/// <summary>What an alert rule watches in a tenant's live metrics.</summary>
public enum AlertMetric : byte
{
    /// <summary>failure / (success + failure) in the window, 0 to 1.</summary>
    ErrorRate,

    /// <summary>Events in the window.</summary>
    EventCount,

    /// <summary>Failed events in the window.</summary>
    FailureCount,

    /// <summary>The mean duration in milliseconds of the window's events that have one.</summary>
    AverageDurationMs,

    /// <summary>Seconds since the tenant's last event (the window is not used): "no events for a period".</summary>
    SilenceSeconds,
}

/// <summary>How a rule's value is compared with its threshold.</summary>
public enum AlertComparison : byte
{
    Above,
    AtOrAbove,
    Below,
    AtOrBelow,
}

/// <summary>The monitoring service's severities (seed 002), in its words.</summary>
public enum AlertSeverity : byte
{
    Info,
    Warning,
    Error,
    Critical,
}

/// <summary>
/// A tenant's alert rule. It fires when its value, over <see cref="Window"/> (optionally for one
/// <see cref="Category"/>), compares with <see cref="Threshold"/> while the window holds at least
/// <see cref="MinEvents"/>; it resolves when the value no longer compares with <see cref="ResolveThreshold"/> (the
/// threshold unless set), or when the window is empty. A value between the two thresholds changes nothing: no flapping.
/// </summary>
[GenerateSerializer, Immutable, Alias("telemetry.alert-rule")]
public sealed record AlertRule(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Name,
    [property: Id(2)] AlertMetric Metric,
    [property: Id(3)] string? Category,
    [property: Id(4)] MetricsWindow Window,
    [property: Id(5)] AlertComparison Comparison,
    [property: Id(6)] double Threshold,
    [property: Id(7)] double? ResolveThreshold,
    [property: Id(8)] long MinEvents,
    [property: Id(9)] AlertSeverity Severity,
    [property: Id(10)] string[] Targets,
    [property: Id(11)] bool Enabled);

/// <summary>Whether a rule fires now.</summary>
public enum AlertState : byte
{
    Ok,
    Firing,
}

/// <summary>A rule as stored: its definition, its state, and how many times its state changed (each change's number).</summary>
public sealed record StoredAlertRule(AlertRule Rule, AlertState State, long Transitions, DateTimeOffset? StateChangedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
