using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Live;

namespace Telemetry.Gateway.Metrics;

/// <summary>Live metrics from the grains' memory: overview, categories, time series, and one user's.</summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        var metrics = routes.MapGroup("/v1/metrics").WithTags("Metrics").RequireAuthorization(ApiKeyDefaults.ReadPolicy);
        metrics.MapGet("/overview", GetOverviewAsync)
            .WithName("GetMetricsOverview")
            .WithSummary("Totals, success rate and average duration of the tenant's events in a window (default 24h).");
        metrics.MapGet("/categories", GetCategoriesAsync)
            .WithName("GetMetricsCategories")
            .WithSummary("The window's totals per event type, most frequent first.");
        metrics.MapGet("/timeseries", GetTimeseriesAsync)
            .WithName("GetMetricsTimeseries")
            .WithSummary("The window in buckets of 1m, 5m, 1h or 1d, optionally for one type.");

        routes.MapGroup("/v1/users").WithTags("Metrics").RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .MapGet("/{userId}/metrics", GetUserMetricsAsync)
            .WithName("GetUserMetrics")
            .WithSummary("One user's overview and categories in a window, with when they were first and last seen.");
        return routes;
    }

    public static async Task<Results<Ok<OverviewResponse>, ProblemHttpResult>> GetOverviewAsync(
        string? window, HttpContext http, [AsParameters] MetricsSources sources)
    {
        if (!MetricsWindows.TryParseWindow(window, out var w)) return Problems.Validation([new FieldError("window", MetricsWindows.WindowRule)]);
        var overview = w == MetricsWindow.OneDay
            ? (await sources.ReadLiveAsync(http)).Overview
            : await sources.Cluster.GetGrain<ITenantMetricsGrain>(http.User.TenantId()).GetOverviewAsync(w);
        return TypedResults.Ok(OverviewResponse.Of(w, overview));
    }

    public static async Task<Results<Ok<CategoriesResponse>, ProblemHttpResult>> GetCategoriesAsync(
        string? window, HttpContext http, [AsParameters] MetricsSources sources)
    {
        if (!MetricsWindows.TryParseWindow(window, out var w)) return Problems.Validation([new FieldError("window", MetricsWindows.WindowRule)]);
        MetricsCategories categories;
        if (w == MetricsWindow.OneDay)
        {
            var live = await sources.ReadLiveAsync(http);
            categories = new MetricsCategories(live.Overview.From, live.Overview.AsOf, live.Categories);
        }
        else
        {
            categories = await sources.Cluster.GetGrain<ITenantMetricsGrain>(http.User.TenantId()).GetCategoriesAsync(w);
        }
        return TypedResults.Ok(new CategoriesResponse(MetricsWindows.Name(w), CategoryResponse.Of(categories.Categories), categories.From, categories.AsOf));
    }

    public static async Task<Results<Ok<TimeseriesResponse>, ProblemHttpResult>> GetTimeseriesAsync(
        string? window, string? bucket, string? type, HttpContext http, IClusterClient cluster)
    {
        if (!MetricsWindows.TryParseWindow(window, out var w)) return Problems.Validation([new FieldError("window", MetricsWindows.WindowRule)]);
        var b = MetricsWindows.Of(w).DefaultBucket;
        if (bucket is { Length: > 0 } && !MetricsWindows.TryParseBucket(bucket, out b)) return Problems.Validation([new FieldError("bucket", MetricsWindows.BucketRule)]);
        if (!MetricsWindows.IsAvailable(w, b)) return Problems.Validation([new FieldError("bucket", MetricsWindows.Explain(w, b))]);
        if (type is { Length: 0 }) type = null;

        var series = await cluster.GetGrain<ITenantMetricsGrain>(http.User.TenantId()).GetTimeseriesAsync(w, b, type);
        var points = series.Points.Select(p => new TimeseriesPointResponse(p.Start, p.Totals.Count, p.Totals.Success, p.Totals.Failure, p.Totals.AverageDurationMs)).ToList();
        return TypedResults.Ok(new TimeseriesResponse(MetricsWindows.Name(w), MetricsWindows.Name(b), type, points, series.From, series.AsOf));
    }

    public static async Task<Results<Ok<UserMetricsResponse>, ProblemHttpResult>> GetUserMetricsAsync(
        string userId, string? window, HttpContext http, IClusterClient cluster, Limits.UserReadLimiter limiter)
    {
        if (!MetricsWindows.TryParseWindow(window, out var w)) return Problems.Validation([new FieldError("window", MetricsWindows.WindowRule)]);
        if (!EventValidator.CouldBeUserId(userId)) return UserNotFound();
        limiter.Take(http.User.TenantId());

        var metrics = await cluster.GetGrain<IUserMetricsGrain>(UserKey.Format(http.User.TenantId(), userId)).GetAsync(w);
        if (metrics.FirstSeen is null) return UserNotFound();
        var t = metrics.Totals;
        return TypedResults.Ok(new UserMetricsResponse(userId, MetricsWindows.Name(w), t.Count, t.Success, t.Failure, t.SuccessRate, t.AverageDurationMs,
            CategoryResponse.Of(metrics.Categories), metrics.FirstSeen, metrics.LastSeen, metrics.From, metrics.AsOf));
    }

    /// <summary>Where a tenant's metrics come from: its grain, or this gateway's pushed copy of the 24h window.</summary>
    public sealed record MetricsSources(IClusterClient Cluster, LiveMetricsHub Hub, IOptions<MetricsReadOptions> Options)
    {
        /// <summary>The 24h overview and categories, from the copy while it is fresh; its age goes in the <c>Age</c> header (whole seconds).</summary>
        public async Task<LiveMetrics> ReadLiveAsync(HttpContext http)
        {
            var maxAge = Options.Value.PushedCopyMaxAge;
            if (maxAge <= TimeSpan.Zero) return await Cluster.GetGrain<ITenantMetricsGrain>(http.User.TenantId()).GetLiveAsync();
            var (metrics, age) = await Hub.ReadAsync(http.User.TenantId(), maxAge);
            http.Response.Headers.Age = ((long)age.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return metrics;
        }
    }

    private static ProblemHttpResult UserNotFound() => Problems.NotFound("user_id", "No events of this user.");
}
