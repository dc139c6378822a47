using Telemetry.Grains;
using Telemetry.Observability;

namespace Telemetry.Gateway.Ingest;

/// <summary>
/// Validates drafts and appends the valid ones to the tenant's event log: the path every ingest
/// surface (native and compatible) takes, so that they all keep the same rules and answers.
/// </summary>
public sealed class EventIngestion(IClusterClient cluster, EventValidator validator, Limits.TenantRateLimiter limiter, IngestMetrics metrics)
{
    public DateTimeOffset Now() => validator.Now();

    /// <summary>The record a draft makes, or null with the reasons in <paramref name="errors"/>; for surfaces that take all or nothing.</summary>
    public EventRecord? Validate(string tenantId, string surface, EventDraft draft, DateTimeOffset receivedAt, List<FieldError> errors)
    {
        var record = validator.Validate(draft, receivedAt, errors);
        if (record is null) CountRejected(tenantId, surface, errors);
        return record;
    }

    /// <summary>Appends records already validated, within the tenant's rate limit.</summary>
    public async Task<AppendOutcome[]> AppendAsync(string tenantId, string surface, EventRecord[] records)
    {
        Take(tenantId, records.Length);
        var outcomes = await cluster.GetGrain<ITenantEventLogGrain>(tenantId).AppendAsync(records);
        Count(tenantId, surface, outcomes);
        return outcomes;
    }

    /// <summary>One event: its outcome, or the errors that reject it (nothing stored).</summary>
    public async Task<(AppendOutcome? Outcome, List<FieldError> Errors)> IngestOneAsync(string tenantId, string surface, EventDraft draft, List<FieldError> shapeErrors, DateTimeOffset receivedAt)
    {
        var record = Validate(tenantId, surface, draft, receivedAt, shapeErrors);
        if (record is null) return (null, shapeErrors);
        var outcomes = await AppendAsync(tenantId, surface, [record]);
        return (outcomes[0], shapeErrors);
    }

    /// <summary>
    /// A batch: the valid events are stored even when others are rejected; one result per item, in order.
    /// Each item comes with the shape errors its surface found while reading it.
    /// </summary>
    public async Task<BatchResponse> IngestBatchAsync(string tenantId, string surface, IReadOnlyList<(EventDraft Draft, List<FieldError> Errors)> items, DateTimeOffset receivedAt)
    {
        var results = new BatchItemResult?[items.Count];
        var valid = new List<EventRecord>(items.Count);
        var validIndex = new List<int>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var (draft, errors) = items[i];
            var record = Validate(tenantId, surface, draft, receivedAt, errors);
            if (record is null)
            {
                results[i] = new BatchItemResult(i, Guid.TryParseExact(draft.Id, "D", out var id) ? id : null, "rejected", errors);
                continue;
            }
            valid.Add(record);
            validIndex.Add(i);
        }

        int accepted = 0, duplicates = 0;
        if (valid.Count > 0)
        {
            var outcomes = await AppendAsync(tenantId, surface, [.. valid]);
            for (var k = 0; k < outcomes.Length; k++)
            {
                var outcome = outcomes[k];
                if (outcome.Duplicate) duplicates++;
                else accepted++;
                results[validIndex[k]] = new BatchItemResult(validIndex[k], outcome.Id, outcome.Duplicate ? "duplicate" : "accepted", []);
            }
        }
        return new BatchResponse(accepted, duplicates, items.Count - valid.Count, results!);
    }

    private void Take(string tenantId, int events)
    {
        try
        {
            limiter.Take(tenantId, events);
        }
        catch (Limits.TenantRateLimitedException)
        {
            metrics.RateLimited(tenantId, events);
            throw;
        }
    }

    private void Count(string tenantId, string surface, AppendOutcome[] outcomes)
    {
        var duplicates = 0;
        foreach (var outcome in outcomes) if (outcome.Duplicate) duplicates++;
        metrics.Accepted(tenantId, surface, outcomes.Length - duplicates);
        metrics.Duplicates(tenantId, surface, duplicates);
    }

    /// <summary>
    /// Counts a rejected event once, under the first field that broke a rule, without the item's
    /// position or the property's path, so that the tag has few values.
    /// </summary>
    private void CountRejected(string tenantId, string surface, List<FieldError> errors)
    {
        var field = errors.Count > 0 ? errors[0].Field : "event";
        var leaf = field[(field.LastIndexOf('.') + 1)..];
        var bracket = leaf.IndexOf('[', StringComparison.Ordinal);
        metrics.Rejected(tenantId, surface, bracket > 0 ? leaf[..bracket] : leaf.Length > 0 ? leaf : "event");
    }
}
