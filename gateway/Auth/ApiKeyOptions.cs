namespace Telemetry.Gateway.Auth;

/// <summary>How the gateway checks API keys (configuration section <c>Auth</c>).</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// How long a looked-up key is trusted before PostgreSQL is asked again (default 500 ms): the most
    /// time a revoked key keeps working on a gateway.
    /// </summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Most key ids remembered at once (default 100,000).</summary>
    public int CacheSize { get; set; } = 100_000;
}
