using Telemetry.Gateway.Rejected;
using Telemetry.Gateway.Usage;
using Telemetry.Observability;

namespace Telemetry.Gateway.Ingest;

/// <summary>
/// Validates drafts and appends the valid ones to the tenant's event log: the path every ingest
/// surface (native and compatible) takes, so that they all keep the same rules and answers.
/// </summary>
public sealed class EventIngestion(
    TenantLogAppender log, EventValidator validator, Limits.TenantRateLimiter limiter, IngestMetrics metrics, UsageRecorder usage,
    RejectedEventRecorder rejected, Settings.TenantSettingsCache settings)
{
    public DateTimeOffset Now() => validator.Now();

    /// <summary>The record a draft makes, or null with the reasons in <paramref name="errors"/>; for surfaces that take all or nothing.</summary>
    public EventRecord? Validate(string tenantId, string surface, EventDraft draft, DateTimeOffset receivedAt, List<FieldError> errors)
    {
        var record = validator.Validate(draft, receivedAt, errors);
        if (record is null)
        {
            CountRejected(tenantId, surface, errors);
            rejected.Add(tenantId, surface, draft, errors, receivedAt);
        }
        return record;
    }

    /// <summary>Appends records already validated, within the tenant's rate limit.</summary>
    public async Task<AppendOutcome[]> AppendAsync(string tenantId, string surface, EventRecord[] records)
    {
        await TakeAsync(tenantId, surface, records);
        var outcomes = await log.AppendAsync(tenantId, records);
        Count(tenantId, surface, outcomes);
        return outcomes;
    }

    /// <summary>One event: its outcome, or the errors that reject it (nothing stored).</summary>
    public async Task<(AppendOutcome? Outcome, List<FieldError> Errors)> IngestOneAsync(string tenantId, string surface, EventDraft draft, List<FieldError> shapeErrors, DateTimeOffset receivedAt)
    {
        var record = Validate(tenantId, surface, draft, receivedAt, shapeErrors);
        if (record is null) return (null, shapeErrors);
        var outcome = (await AppendAsync(tenantId, surface, [record]))[0];
        if (outcome.Refused is { } refusal)
        {
            rejected.Add(tenantId, surface, draft, [Refusal(refusal)], receivedAt);
            return (null, [Refusal(refusal)]);
        }
        return (outcome, shapeErrors);
    }

    /// <summary>The error that tells a client the log refused its event, though it kept every rule checked here.</summary>
    public static FieldError Refusal(EventRefusal refusal) => new(refusal.Field, refusal.Reason);

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
                if (outcome.Refused is { } refusal)
                {
                    results[validIndex[k]] = new BatchItemResult(validIndex[k], outcome.Id, "rejected", [Refusal(refusal)]);
                    rejected.Add(tenantId, surface, items[validIndex[k]].Draft, [Refusal(refusal)], receivedAt);
                    continue;
                }
                if (outcome.Duplicate) duplicates++;
                else accepted++;
                results[validIndex[k]] = new BatchItemResult(validIndex[k], outcome.Id, outcome.Duplicate ? "duplicate" : "accepted", []);
            }
        }
        return new BatchResponse(accepted, duplicates, items.Count - accepted - duplicates, results!);
    }

    private async ValueTask TakeAsync(string tenantId, string surface, EventRecord[] records)
    {
        try
        {
            await limiter.TakeAsync(tenantId, records.Length);
        }
        catch (Limits.TenantRateLimitedException)
        {
            metrics.RateLimited(tenantId, records.Length);
            usage.Add(tenantId, surface, UsageRecorder.RateLimited, records.Length);
            if (await settings.KeepsRateLimitedAsync(tenantId))
            {
                foreach (var record in records) rejected.Add(tenantId, surface, EventDraft.Of(record), RateLimited, record.ReceivedAt);
            }
            throw;
        }
    }

    /// <summary>The reason a rate-limited event is kept under, when its tenant keeps them (<c>keep_rate_limited</c>).</summary>
    private static readonly FieldError[] RateLimited = [new("rate_limit", "was over the tenant's rate limit (429); nothing was stored")];

    private void Count(string tenantId, string surface, AppendOutcome[] outcomes)
    {
        int duplicates = 0, refused = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.Refused is not null) refused++;
            else if (outcome.Duplicate) duplicates++;
        }
        metrics.Accepted(tenantId, surface, outcomes.Length - duplicates - refused);
        metrics.Duplicates(tenantId, surface, duplicates);
        usage.Add(tenantId, surface, UsageRecorder.Accepted, outcomes.Length - duplicates - refused);
        usage.Add(tenantId, surface, UsageRecorder.Duplicate, duplicates);
        foreach (var outcome in outcomes)
        {
            if (outcome.Refused is not { } refusal) continue;
            var reason = refusal.Field == "event" ? StorageReason : refusal.Field;
            metrics.Rejected(tenantId, surface, reason);
            usage.Add(tenantId, surface, UsageRecorder.Rejected, 1, reason);
        }
    }

    /// <summary>The rejection reason of an event that kept every rule but that PostgreSQL refused.</summary>
    public const string StorageReason = "storage";

    /// <summary>The reasons a rejection is counted under: the event's own fields, so that a tag never takes a client's words.</summary>
    private static readonly HashSet<string> Reasons = [.. EventJsonReader.Fields, "event", StorageReason];

    /// <summary>
    /// Counts a rejected event once, under the first field that broke a rule, without the item's
    /// position or the property's path; a field that is not one of the event's own (an unknown name a
    /// client chose, a compatible surface's name) is counted as "other", so that the tag has a fixed
    /// set of values however many names clients send.
    /// </summary>
    private void CountRejected(string tenantId, string surface, List<FieldError> errors)
    {
        var field = errors.Count > 0 ? errors[0].Field : "event";
        var dot = field.IndexOf('.', StringComparison.Ordinal);
        // "properties.ticket_id" counts under properties, "logs[3].category" under its leaf.
        var name = field.Contains('[', StringComparison.Ordinal) ? field[(field.LastIndexOf('.') + 1)..] : dot > 0 ? field[..dot] : field;
        var reason = Reasons.Contains(name) ? name : "other";
        metrics.Rejected(tenantId, surface, reason);
        usage.Add(tenantId, surface, UsageRecorder.Rejected, 1, reason);
    }
}
