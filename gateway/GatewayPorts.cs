using Microsoft.Extensions.Configuration;

namespace Telemetry.Gateway;

/// <summary>
/// The gateway's three listeners, read once at start: the public HTTP API, the event collector's
/// gRPC (HTTP/2 without TLS), and Prometheus's scrape, kept apart from the public port.
/// </summary>
public sealed record GatewayPorts(int Http, int Grpc, int Metrics)
{
    public const int DefaultHttp = 8080;
    public const int DefaultGrpc = 50051;
    public const int DefaultMetrics = 9464;

    /// <summary>From <c>TELEMETRY_HTTP_PORT</c>, <c>TELEMETRY_GRPC_PORT</c> and <c>TELEMETRY_METRICS_PORT</c>.</summary>
    public static GatewayPorts From(IConfiguration configuration) => new(
        configuration.GetValue("TELEMETRY_HTTP_PORT", DefaultHttp),
        configuration.GetValue("TELEMETRY_GRPC_PORT", DefaultGrpc),
        configuration.GetValue("TELEMETRY_METRICS_PORT", DefaultMetrics));
}
