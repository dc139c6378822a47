using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Telemetry.Observability;

/// <summary>Logs every request slower than <see cref="ObservabilityOptions.SlowRequest"/>, with its duration and status.</summary>
public sealed partial class SlowRequestLogger(RequestDelegate next, IOptions<ObservabilityOptions> options, ILogger<SlowRequestLogger> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        await next(context);
        var elapsed = Stopwatch.GetElapsedTime(started);
        // Streams (Server-Sent Events, exports, gRPC streams) are long by design.
        if (elapsed >= options.Value.SlowRequest && !IsStream(context))
        {
            LogSlow(context.Request.Method, context.Request.Path, context.Response.StatusCode, elapsed.TotalMilliseconds);
        }
    }

    private static bool IsStream(HttpContext context) =>
        context.Response.ContentType is { } type && (type.StartsWith("text/event-stream", StringComparison.Ordinal) || type.StartsWith("application/grpc", StringComparison.Ordinal))
        || context.Request.Path.StartsWithSegments("/v1/events/export");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slow request: {Method} {Path} answered {Status} in {DurationMs:F0} ms")]
    private partial void LogSlow(string method, string path, int status, double durationMs);
}
