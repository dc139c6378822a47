namespace Telemetry.Gateway.Metrics;

/// <summary><c>GET /v1/metrics/overview</c>: a window's totals; <c>from</c> is where the window starts (null for all).</summary>
public sealed record OverviewResponse(
    string Window, long Total, long Success, long Failure, double? SuccessRate, double? AvgDurationMs,
    DateTimeOffset? From, DateTimeOffset AsOf)
{
    public static OverviewResponse Of(MetricsWindow window, MetricsOverview overview)
    {
        var t = overview.Totals;
        return new(MetricsWindows.Name(window), t.Count, t.Success, t.Failure, t.SuccessRate, t.AverageDurationMs, overview.From, overview.AsOf);
    }
}

/// <summary>One category of a window.</summary>
public sealed record CategoryResponse(string Type, long Count, long Success, long Failure, double? SuccessRate, double? AvgDurationMs)
{
    /// <summary>A grain's categories as the API writes them, in the grain's order.</summary>
    public static List<CategoryResponse> Of(IEnumerable<CategoryTotals> categories) =>
        [.. categories.Select(c => new CategoryResponse(c.Type, c.Totals.Count, c.Totals.Success, c.Totals.Failure, c.Totals.SuccessRate, c.Totals.AverageDurationMs))];
}

/// <summary><c>GET /v1/metrics/categories</c>: a window's categories, most frequent first.</summary>
public sealed record CategoriesResponse(string Window, IReadOnlyList<CategoryResponse> Data, DateTimeOffset? From, DateTimeOffset AsOf);

/// <summary>One bucket of a series.</summary>
public sealed record TimeseriesPointResponse(DateTimeOffset Start, long Count, long Success, long Failure, double? AvgDurationMs);

/// <summary><c>GET /v1/metrics/timeseries</c>: a window in buckets, oldest first.</summary>
public sealed record TimeseriesResponse(string Window, string Bucket, string? Type, IReadOnlyList<TimeseriesPointResponse> Data, DateTimeOffset? From, DateTimeOffset AsOf);

/// <summary><c>GET /v1/users/{user_id}/metrics</c>: one user's overview and categories, and the span of their events.</summary>
public sealed record UserMetricsResponse(
    string UserId, string Window, long Total, long Success, long Failure, double? SuccessRate, double? AvgDurationMs,
    IReadOnlyList<CategoryResponse> Categories, DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen,
    DateTimeOffset? From, DateTimeOffset AsOf);
