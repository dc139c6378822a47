using System.Diagnostics.Metrics;

namespace Telemetry.Observability;

/// <summary>
/// The platform's own measurements of ingest, on the <c>Telemetry</c> meter: what gateways took and
/// refused, what the event logs committed and how long commits took. Per-tenant counters carry a
/// <c>tenant</c> tag: one series per tenant.
/// </summary>
public sealed class IngestMetrics
{
    public const string MeterName = "Telemetry";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _limited;
    private readonly Counter<long> _committed;
    private readonly Counter<long> _appends;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commitLatency;
    private readonly UpDownCounter<long> _pending;

    public IngestMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("telemetry.events.accepted", "{event}", "Events a gateway took and the log stored, by tenant and surface.");
        _duplicates = meter.CreateCounter<long>("telemetry.events.duplicates", "{event}", "Events a gateway took whose id was stored before, by tenant and surface.");
        _rejected = meter.CreateCounter<long>("telemetry.events.rejected", "{event}", "Events refused for breaking a rule, by tenant, surface and field.");
        _limited = meter.CreateCounter<long>("telemetry.events.rate_limited", "{event}", "Events refused because their tenant was over its rate limit.");
        _committed = meter.CreateCounter<long>("telemetry.log.committed", "{event}", "Events an event log committed to PostgreSQL, by tenant.");
        _appends = meter.CreateCounter<long>("telemetry.log.appends", "{call}", "Calls to an event log's append (a gateway coalesces its requests' events into them), by tenant.");
        _batchSize = meter.CreateHistogram<int>("telemetry.log.batch_size", "{event}", "Events in one group commit.");
        _commitLatency = meter.CreateHistogram<double>("telemetry.log.commit_duration", "ms", "Time of one group commit's statement.");
        _pending = meter.CreateUpDownCounter<long>("telemetry.log.pending", "{event}", "Events waiting for a group commit, all logs of this silo together.");
    }

    public void Accepted(string tenant, string surface, int count) => Add(_accepted, count, tenant, surface);

    public void Duplicates(string tenant, string surface, int count) => Add(_duplicates, count, tenant, surface);

    public void Rejected(string tenant, string surface, string field) =>
        _rejected.Add(1, new KeyValuePair<string, object?>("tenant", tenant), new KeyValuePair<string, object?>("surface", surface), new KeyValuePair<string, object?>("field", field));

    public void RateLimited(string tenant, int count) => _limited.Add(count, new KeyValuePair<string, object?>("tenant", tenant));

    public void Committed(string tenant, int stored, int batch, TimeSpan duration)
    {
        _committed.Add(stored, new KeyValuePair<string, object?>("tenant", tenant));
        _batchSize.Record(batch);
        _commitLatency.Record(duration.TotalMilliseconds);
    }

    public void Pending(int delta) => _pending.Add(delta);

    public void Appended(string tenant) => _appends.Add(1, new KeyValuePair<string, object?>("tenant", tenant));

    private static void Add(Counter<long> counter, int count, string tenant, string surface)
    {
        if (count > 0) counter.Add(count, new KeyValuePair<string, object?>("tenant", tenant), new KeyValuePair<string, object?>("surface", surface));
    }
}
