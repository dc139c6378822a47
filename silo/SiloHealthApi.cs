using Npgsql;
using Orleans.Runtime;

namespace Telemetry.Silo;

/// <summary>
/// The silo's probes on its own HTTP port: live while the process runs; ready once this silo is an
/// active member of the cluster and PostgreSQL answers, so Kubernetes sends no traffic to a silo that
/// is still joining or already leaving. A failed check says which; its exception goes to the log only.
/// </summary>
public static partial class SiloHealthApi
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    public static IEndpointRouteBuilder MapSiloHealthApi(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").AllowAnonymous();
        health.MapGet("/live", () => TypedResults.Ok(new SiloHealth("ok", null, null))).WithName("SiloLive").WithSummary("The silo process runs.");
        health.MapGet("/ready", ReadyAsync).WithName("SiloReady").WithSummary("The silo is an active cluster member and PostgreSQL answers.");
        return routes;
    }

    private static async Task<IResult> ReadyAsync(IClusterMembershipService membership, ILocalSiloDetails local, NpgsqlDataSource database, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        var silo = status == SiloStatus.Active ? "ok" : $"silo is {status}";
        string databaseCheck;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CheckTimeout);
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            databaseCheck = "ok";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            LogDatabaseFailed(logs.CreateLogger(typeof(SiloHealthApi).FullName!), ex);
            databaseCheck = "PostgreSQL does not answer";
        }
        var body = new SiloHealth(silo == "ok" && databaseCheck == "ok" ? "ok" : "unavailable", silo, databaseCheck);
        return body.Status == "ok" ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check database failed")]
    private static partial void LogDatabaseFailed(ILogger logger, Exception exception);

    /// <summary>A probe's answer: overall status and each check's result.</summary>
    public sealed record SiloHealth(string Status, string? Silo, string? Database);
}
