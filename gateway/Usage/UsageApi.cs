using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Query;

namespace Telemetry.Gateway.Usage;

/// <summary><c>GET /v1/usage</c>: what the tenant sent, per bucket and surface, as its gateways counted it (scope <c>read</c>).</summary>
public static class UsageApi
{
    /// <summary>Longest span one request may ask for: a year of hours is under 9,000 buckets a surface.</summary>
    private static readonly TimeSpan MaxSpan = TimeSpan.FromDays(366);

    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/usage").WithTags("Usage").RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .MapGet("/", GetUsageAsync)
            .WithName("GetUsage")
            .WithSummary("Accepted, duplicate, rejected (by reason) and rate-limited events and bytes received, per hour or day and surface.");
        return routes;
    }

    /// <summary>The query: a span (default the last 24 hours) and a bucket, <c>1h</c> (default) or <c>1d</c>.</summary>
    public sealed record UsageQuery([property: FromQuery(Name = "from")] string? From, [property: FromQuery(Name = "to")] string? To, [property: FromQuery(Name = "bucket")] string? Bucket);

    public static async Task<Results<Ok<UsageResponse>, ProblemHttpResult>> GetUsageAsync(
        [AsParameters] UsageQuery query, HttpContext http, UsageStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var now = clock.GetUtcNow();
        var to = QueryText.Time(query.To, "to", errors) ?? now;
        // Usage starts in 1970 like the events it counts; earlier bounds would overflow the arithmetic below.
        if (to.Year < 1970) errors.Add(new FieldError("to", "must be in 1970 or later"));
        var from = QueryText.Time(query.From, "from", errors) ?? (to.Year < 1970 ? to : to - TimeSpan.FromDays(1));
        if (query.Bucket is not (null or "1h" or "1d")) errors.Add(new FieldError("bucket", "must be 1h or 1d"));
        if (errors.Count == 0 && to <= from) errors.Add(new FieldError("to", "must be later than from"));
        if (errors.Count == 0 && to - from > MaxSpan) errors.Add(new FieldError("from", "must be at most 366 days before to"));
        if (errors.Count > 0) return Problems.Validation(errors);

        var days = query.Bucket == "1d";
        var rows = await store.ReadAsync(http.User.TenantId(), Floor(from, days), to, days, cancellationToken);
        var buckets = rows.GroupBy(r => (r.Start, r.Surface)).Select(g => UsageBucket.Of(g.Key.Start, g.Key.Surface, g)).ToList();
        return TypedResults.Ok(new UsageResponse(Floor(from, days), to, days ? "1d" : "1h", buckets, UsageBucket.Of(null, null, rows)));
    }

    /// <summary>Buckets start on the hour (or midnight UTC): a span that starts inside one takes it whole.</summary>
    private static DateTimeOffset Floor(DateTimeOffset at, bool days)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, days ? 0 : utc.Hour, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>The tenant's usage in a span: per bucket and surface, and the span's totals.</summary>
public sealed record UsageResponse(DateTimeOffset From, DateTimeOffset To, string Bucket, IReadOnlyList<UsageBucket> Data, UsageBucket Totals);

/// <summary>
/// What one surface took in one bucket (or, without them, in the whole span): events accepted, duplicates, rejected per
/// reason (the field at fault), refused for the rate limit, and request bytes as received.
/// </summary>
public sealed record UsageBucket(DateTimeOffset? Start, string? Surface, long Accepted, long Duplicates, long Rejected,
    IReadOnlyDictionary<string, long> RejectedBy, long RateLimited, long BytesReceived)
{
    public static UsageBucket Of(DateTimeOffset? start, string? surface, IEnumerable<UsageStore.Row> rows)
    {
        long accepted = 0, duplicates = 0, rejected = 0, limited = 0, bytes = 0;
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            switch (row.Kind)
            {
                case UsageRecorder.Accepted: accepted += row.Amount; break;
                case UsageRecorder.Duplicate: duplicates += row.Amount; break;
                case UsageRecorder.RateLimited: limited += row.Amount; break;
                case UsageRecorder.BytesReceived: bytes += row.Amount; break;
                case UsageRecorder.Rejected:
                    rejected += row.Amount;
                    reasons[row.Reason] = reasons.GetValueOrDefault(row.Reason) + row.Amount;
                    break;
            }
        }
        return new UsageBucket(start, surface, accepted, duplicates, rejected, reasons, limited, bytes);
    }
}
