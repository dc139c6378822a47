namespace Telemetry.Gateway.Ingest;

/// <summary>What every ingest endpoint needs, native or compatible, and the prologue they share.</summary>
public sealed record IngestServices(EventIngestion Ingestion, IOptions<IngestOptions> Limits)
{
    public IngestOptions Options => Limits.Value;

    /// <summary>
    /// A JSON body within the ingest limits, or the problem that refuses it: 415 unless it is
    /// application/json (<paramref name="sendAs"/> says what to send), 413 when too large, 400 when not JSON.
    /// </summary>
    public async Task<(JsonBody? Body, ProblemHttpResult? Refused)> ReadJsonAsync(HttpRequest request, string sendAs, CancellationToken cancellationToken)
    {
        if (RequestBody.MediaKind(request) != RequestBody.Kind.Json) return (null, Problems.UnsupportedMediaType(sendAs));
        return await JsonBody.ReadAsync(request, Options.MaxBodyBytes, Options.MaxJsonDepth, cancellationToken);
    }
}
