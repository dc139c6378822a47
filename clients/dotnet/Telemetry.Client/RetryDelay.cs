using System.Net.Http.Headers;

namespace Telemetry.Client;

/// <summary>How long to wait before the next attempt: exponential backoff with jitter, or the server's Retry-After when longer.</summary>
internal static class RetryDelay
{
    /// <summary>A server's Retry-After is honoured up to this: longer would look like a hung client.</summary>
    private static readonly TimeSpan MostRetryAfter = TimeSpan.FromMinutes(5);

    public static TimeSpan Next(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan? retryAfter)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, maxDelay.TotalMilliseconds);
        // Half fixed, half random: clients that failed together do not come back together.
        var jittered = TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
        return retryAfter is { } after && after > jittered ? (after < MostRetryAfter ? after : MostRetryAfter) : jittered;
    }

    /// <summary>The answer's Retry-After, in seconds or as a date.</summary>
    public static TimeSpan? Of(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };
}
