using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Telemetry.Gateway.Limits;

/// <summary>
/// Answers a read that PostgreSQL cancelled at its statement timeout (<see cref="DatabaseOptions.QueryTimeout"/>, <see cref="DatabaseOptions.ExportTimeout"/> before the first row) with
/// 503, Retry-After and a problem that says so, instead of "PostgreSQL is unavailable": the database is up, the query
/// was too heavy. Its connection is back in the pool by then.
/// </summary>
public sealed partial class QueryTimeoutHandler(ILogger<QueryTimeoutHandler> logger) : IExceptionHandler
{
    /// <summary>Retry-After of a timed-out query: a retry lands on a database that has done other work meanwhile.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A query the client gave up on is cancelled the same way; only the server's timeout is answered here.
        if (!IsStatementTimeout(exception) || httpContext.RequestAborted.IsCancellationRequested) return false;
        LogTimedOut(httpContext.Request.Path);
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Problems.Status(StatusCodes.Status503ServiceUnavailable, "query",
            "The query ran past its time limit and was stopped; narrow the filters or the time range, or use the cursor pages of /v1/events.")
            .ExecuteAsync(httpContext);
        return true;
    }

    /// <summary>PostgreSQL's query_canceled (57014), which is what a statement timeout raises.</summary>
    public static bool IsStatementTimeout(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => true,
        _ => exception.InnerException is { } inner && IsStatementTimeout(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A query for {Path} ran past its statement timeout and was stopped (503)")]
    private partial void LogTimedOut(PathString path);
}
