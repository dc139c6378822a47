using System.Diagnostics.Metrics;

namespace Telemetry.Observability;

/// <summary>Alert rules' changes of state and their webhook deliveries, on the <c>Telemetry</c> meter.</summary>
public sealed class AlertMetrics
{
    private readonly Counter<long> _changes;
    private readonly Counter<long> _deliveries;

    public AlertMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(IngestMetrics.MeterName);
        _changes = meter.CreateCounter<long>("telemetry.alerts.changes", "{change}", "Alert rules that fired or resolved, by tenant and state.");
        _deliveries = meter.CreateCounter<long>("telemetry.alerts.deliveries", "{attempt}", "Webhook delivery attempts, by tenant and outcome (delivered, retried, failed).");
    }

    public void AlertChanged(string tenant, string state) =>
        _changes.Add(1, new KeyValuePair<string, object?>("tenant", tenant), new KeyValuePair<string, object?>("state", state));

    public void Delivery(string tenant, string outcome) =>
        _deliveries.Add(1, new KeyValuePair<string, object?>("tenant", tenant), new KeyValuePair<string, object?>("outcome", outcome));
}
