using Microsoft.AspNetCore.Diagnostics;

namespace Telemetry.Gateway.Core;

/// <summary>
/// Turns failures of PostgreSQL or of the cluster into 503 with Retry-After: the client may retry
/// (with the same event ids), and nothing it was not told was stored counts as stored.
/// </summary>
public sealed partial class ClusterFailureHandler(ILogger<ClusterFailureHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 1;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsRetryable(exception)) return false;
        LogUnavailable(exception.GetType().Name, httpContext.Request.Path, exception.Message);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (field, detail) = exception is StorageUnavailableException or Npgsql.NpgsqlException
            ? ("storage", exception is StorageUnavailableException ? exception.Message : "PostgreSQL is unavailable; nothing was stored. Retry with the same event ids.")
            : ("cluster", "The cluster did not answer in time; retry with the same event ids.");
        await Problems.Status(StatusCodes.Status503ServiceUnavailable, field, detail).ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>Failures that a retry can get past: storage, silos, connections, timeouts.</summary>
    public static bool IsRetryable(Exception exception) => exception switch
    {
        StorageUnavailableException or TimeoutException or OrleansException or Npgsql.NpgsqlException
            or System.Net.Sockets.SocketException or OperationCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsRetryable),
        _ => exception.InnerException is { } inner && IsRetryable(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503 ({Exception}) for {Path}: {Message}")]
    private partial void LogUnavailable(string exception, PathString path, string message);
}
