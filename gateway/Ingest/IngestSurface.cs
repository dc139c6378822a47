namespace Telemetry.Gateway.Ingest;

/// <summary>The names of the ways events come in, as the <c>surface</c> tag of the ingest metrics.</summary>
public static class IngestSurface
{
    public const string Native = "native";
    public const string TutorLogger = "tutor-logger";
    public const string CentralLogger = "central-logger";
    public const string EventCollector = "event-collector";
    public const string EventCollectorGrpc = "event-collector-grpc";

    /// <summary>OpenTelemetry log records (<c>POST /v1/logs</c>).</summary>
    public const string Otlp = "otlp";

    /// <summary>Refused events sent again from the kept copies (<c>POST /v1/rejected/replay</c>).</summary>
    public const string Replay = "replay";
}
