using System.Reflection;

namespace Telemetry.Gateway.Health;

/// <summary><c>/health</c>, <c>/health/live</c> and <c>/health/ready</c>; no key needed.</summary>
public static class HealthApi
{
    private static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").WithTags("Health").AllowAnonymous();
        health.MapGet("/", GetHealthAsync)
            .WithName("GetHealth")
            .WithSummary("200 when PostgreSQL and the cluster answer; 503 naming the check that failed otherwise.");
        health.MapGet("/ready", GetHealthAsync)
            .WithName("GetReadiness")
            .WithSummary("Whether this gateway can serve: 503 until PostgreSQL and the cluster answer.");
        health.MapGet("/live", () => TypedResults.Ok(new LiveResponse("ok")))
            .WithName("GetLiveness")
            .WithSummary("The process runs.");
        return routes;
    }

    public static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> GetHealthAsync(HealthProbe probe, TimeProvider clock, CancellationToken cancellationToken)
    {
        var checks = await probe.CheckAsync(cancellationToken);
        var failed = checks.Where(c => c.Value != "ok").Select(c => c.Key).ToList();
        var now = clock.GetUtcNow();
        return failed.Count == 0
            ? TypedResults.Ok(new HealthResponse("ok", Version, now, checks, null))
            : TypedResults.Json(new HealthResponse("unavailable", Version, now, checks, failed), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
