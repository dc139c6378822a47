using Microsoft.AspNetCore.Diagnostics;

namespace Telemetry.Gateway.Limits;

/// <summary>Answers a tenant over its rate limit with 429 and Retry-After (whole seconds, at least 1).</summary>
public sealed class RateLimitedHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not TenantRateLimitedException limited) return false;
        httpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Problems.Status(StatusCodes.Status429TooManyRequests, limited.Subject, limited.Message).ExecuteAsync(httpContext);
        return true;
    }
}
