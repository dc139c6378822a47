namespace Telemetry.Gateway.Health;

/// <summary><c>GET /health</c> and <c>/health/ready</c>: "ok", or "unavailable" with the checks that failed.</summary>
public sealed record HealthResponse(string Status, string Version, DateTimeOffset Timestamp, IReadOnlyDictionary<string, string> Checks, IReadOnlyList<string>? Failed);

/// <summary><c>GET /health/live</c>: the process runs.</summary>
public sealed record LiveResponse(string Status);
