using Telemetry.Grains;

namespace Telemetry.Gateway.Ingest;

/// <summary>
/// Validates drafts and appends the valid ones to the tenant's event log: the path every ingest
/// surface (native and compatible) takes, so that they all keep the same rules and answers.
/// </summary>
public sealed class EventIngestion(IClusterClient cluster, EventValidator validator, Limits.TenantRateLimiter limiter)
{
    public DateTimeOffset Now() => validator.Now();

    /// <summary>The record a draft makes, or null with the reasons in <paramref name="errors"/>; for surfaces that take all or nothing.</summary>
    public EventRecord? Validate(EventDraft draft, DateTimeOffset receivedAt, List<FieldError> errors) => validator.Validate(draft, receivedAt, errors);

    /// <summary>Appends records already validated, within the tenant's rate limit.</summary>
    public Task<AppendOutcome[]> AppendAsync(string tenantId, EventRecord[] records)
    {
        limiter.Take(tenantId, records.Length);
        return cluster.GetGrain<ITenantEventLogGrain>(tenantId).AppendAsync(records);
    }

    /// <summary>One event: its outcome, or the errors that reject it (nothing stored).</summary>
    public async Task<(AppendOutcome? Outcome, List<FieldError> Errors)> IngestOneAsync(string tenantId, EventDraft draft, List<FieldError> shapeErrors, DateTimeOffset receivedAt)
    {
        var record = validator.Validate(draft, receivedAt, shapeErrors);
        if (record is null) return (null, shapeErrors);
        limiter.Take(tenantId, 1);
        var outcomes = await cluster.GetGrain<ITenantEventLogGrain>(tenantId).AppendAsync([record]);
        return (outcomes[0], shapeErrors);
    }

    /// <summary>
    /// A batch: the valid events are stored even when others are rejected; one result per item, in order.
    /// Each item comes with the shape errors its surface found while reading it.
    /// </summary>
    public async Task<BatchResponse> IngestBatchAsync(string tenantId, IReadOnlyList<(EventDraft Draft, List<FieldError> Errors)> items, DateTimeOffset receivedAt)
    {
        var results = new BatchItemResult?[items.Count];
        var valid = new List<EventRecord>(items.Count);
        var validIndex = new List<int>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var (draft, errors) = items[i];
            var record = validator.Validate(draft, receivedAt, errors);
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
            limiter.Take(tenantId, valid.Count);
            var outcomes = await cluster.GetGrain<ITenantEventLogGrain>(tenantId).AppendAsync([.. valid]);
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
}
