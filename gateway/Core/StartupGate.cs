namespace Telemetry.Gateway.Core;

/// <summary>
/// Answers 503 with Retry-After to every request but health probes until the gateway has fully
/// started, which includes its Orleans client connecting to the cluster.
/// </summary>
public sealed class StartupGate(RequestDelegate next, IHostApplicationLifetime lifetime)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested && !IsProbe(context.Request.Path))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = ClusterFailureHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Problems.Status(StatusCodes.Status503ServiceUnavailable, "cluster", "The gateway is still connecting to the cluster; retry shortly.").ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    /// <summary>Health and readiness probes, native and compatible, and the metrics scrape answer during start-up too.</summary>
    private static bool IsProbe(PathString path) =>
        path == "/metrics" || path.StartsWithSegments("/health") || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/api/health") || path == "/ready";
}
