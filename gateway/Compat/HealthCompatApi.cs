using System.Diagnostics;
using System.Text.Json.Serialization;
using Npgsql;
using Telemetry.Gateway.Health;

namespace Telemetry.Gateway.Compat;

/// <summary>The monitoring probes the TutorMax and TRACE services offered (seeds 002 and 004), without a key.</summary>
public static partial class HealthCompatApi
{
    public static IEndpointRouteBuilder MapHealthCompatApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/health/database", DatabaseAsync).WithTags("Compatibility: health").AllowAnonymous()
            .WithName("DatabaseHealth").WithSummary("Seed 002: {status, database, latency_ms} of a round trip to PostgreSQL; 503 when it fails.");
        var probes = routes.MapGroup("/healthz").WithTags("Compatibility: health").AllowAnonymous();
        probes.MapGet("/live", () => TypedResults.Ok(new LiveResponse("ok")))
            .WithName("CompatLiveness").WithSummary("Seed 004: the process runs.");
        probes.MapGet("/ready", HealthApi.GetHealthAsync)
            .WithName("CompatReadiness").WithSummary("Seed 004: 200 when PostgreSQL and the cluster answer, 503 otherwise.");
        return routes;
    }

    public static async Task<Results<Ok<DatabaseHealth>, JsonHttpResult<DatabaseHealth>>> DatabaseAsync(NpgsqlDataSource database, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return TypedResults.Ok(new DatabaseHealth("healthy", "connected", Math.Round(clock.Elapsed.TotalMilliseconds, 1), null));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            // No key guards this probe: the driver's message (the server's address) goes to the log only.
            LogDatabaseFailed(logs.CreateLogger(typeof(HealthCompatApi).FullName!), ex);
            return TypedResults.Json(new DatabaseHealth("unhealthy", "disconnected", Math.Round(clock.Elapsed.TotalMilliseconds, 1), HealthProbe.DatabaseDown),
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check database failed")]
    private static partial void LogDatabaseFailed(ILogger logger, Exception exception);
}

/// <summary>Seed 002's database check.</summary>
public sealed record DatabaseHealth(string Status, string Database, double LatencyMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

/// <summary>Source-generated JSON for the compatible health probes' answers.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DatabaseHealth))]
internal sealed partial class CompatHealthJson : JsonSerializerContext;
