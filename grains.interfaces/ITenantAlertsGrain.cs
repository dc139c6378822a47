using Orleans.Concurrency;

namespace Telemetry.Grains;

/// <summary>
/// A tenant's alert rules, evaluated on its live metrics: after the metrics change (at most four times a second) and
/// on a timer. A change of a rule's state is stored with the webhook deliveries it causes, in one transaction. Key: the tenant id.
/// </summary>
public interface ITenantAlertsGrain : IGrainWithStringKey
{
    /// <summary>The tenant's rules were created, changed or deleted: read them again and evaluate.</summary>
    Task RulesChangedAsync();

    /// <summary>Activates the grain, which then watches the tenant's metrics while it has rules.</summary>
    Task WakeAsync();

    /// <summary>The tenant's metrics counted new events (sent by its metrics grain while watched).</summary>
    [OneWay]
    Task MetricsChangedAsync();
}

/// <summary>Totals an alert rule reads: a window's, of all events or of one category.</summary>
[GenerateSerializer, Immutable, Alias("telemetry.alert-input")]
public sealed record AlertInput([property: Id(0)] MetricsWindow Window, [property: Id(1)] string? Category);

/// <summary>
/// The totals of each <see cref="AlertInput"/> asked for, in order, and when the metrics last counted an event
/// (null: not since the metrics grain activated).
/// </summary>
[GenerateSerializer, Immutable, Alias("telemetry.alert-reading")]
public sealed record AlertReading(
    [property: Id(0)] MetricsTotals[] Totals,
    [property: Id(1)] DateTimeOffset? LastEventAt,
    [property: Id(2)] DateTimeOffset AsOf)
{
    /// <summary>How long a read for alerts keeps the metrics grain telling the alerts grain of new events.</summary>
    public static readonly TimeSpan WatchLifetime = TimeSpan.FromSeconds(30);
}
