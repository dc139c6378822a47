using Microsoft.Extensions.Logging;

namespace Telemetry.Client.Logging;

/// <summary>How log entries become events (configuration <c>Logging:Telemetry</c>).</summary>
public sealed class TelemetryLoggerOptions
{
    /// <summary>The events' type (default <c>log</c>): one category for all logs, so they do not use up the tenant's types.</summary>
    public string EventType { get; set; } = "log";

    /// <summary>The least level sent (default Information); the logging filters apply too.</summary>
    public LogLevel MinLevel { get; set; } = LogLevel.Information;

    /// <summary>The events' environment (default none).</summary>
    public string? Environment { get; set; }

    /// <summary>Adds the entry's scopes to its properties under <c>scopes</c> (default true).</summary>
    public bool IncludeScopes { get; set; } = true;
}
