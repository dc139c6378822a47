using Google.Protobuf;
using Microsoft.Net.Http.Headers;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Compat.Otlp.Proto;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway.Compat.Otlp;

/// <summary>
/// <c>POST /v1/logs</c>: OTLP/HTTP logs, protobuf or JSON (gzip or not), as OpenTelemetry exporters send them; each
/// log record becomes an event. The answer is OTLP's, in the request's encoding, with a partial success naming how
/// many records were refused and why.
/// </summary>
public static class OtlpLogsApi
{
    private const string Protobuf = "application/x-protobuf";

    public static IEndpointRouteBuilder MapOtlpLogsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/logs", ExportAsync).WithTags("OpenTelemetry").RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("OtlpExportLogs")
            .WithSummary("OTLP/HTTP logs (application/x-protobuf or application/json): each log record stored as an event; a partial success names the refused ones.")
            .CountReceivedBytes(IngestSurface.Otlp);
        return routes;
    }

    public static async Task<Results<FileContentHttpResult, ContentHttpResult, ProblemHttpResult>> ExportAsync(HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var protobuf = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) && type.MediaType.Equals(Protobuf, StringComparison.OrdinalIgnoreCase);
        if (!protobuf && RequestBody.MediaKind(request) != RequestBody.Kind.Json)
        {
            return Problems.UnsupportedMediaType($"Send OTLP logs as {Protobuf} or application/json.");
        }
        var (body, refusal) = await RequestBody.ReadAsync(request, services.Options.MaxBodyBytes, cancellationToken, text: !protobuf);
        if (body is null) return Problems.Refused(refusal!);

        ExportLogsServiceRequest export;
        using (body)
        {
            try
            {
                export = protobuf ? ExportLogsServiceRequest.Parser.ParseFrom(body.Memory.Span) : OtlpLogsDialect.ParseJson(body.Memory.Span);
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or JsonException or FormatException or InvalidOperationException)
            {
                return Problems.Status(StatusCodes.Status400BadRequest, "body", $"The body is not an OTLP ExportLogsServiceRequest: {ex.Message}");
            }
        }

        var tenantId = request.HttpContext.User.TenantId();
        var items = OtlpLogsDialect.Read(export);
        long rejected = 0;
        string? firstError = null;
        // In groups no larger than a native batch: an exporter's batch (512 records by default) is one.
        foreach (var group in items.Chunk(services.Options.MaxBatchEvents))
        {
            var answer = await services.Ingestion.IngestBatchAsync(tenantId, IngestSurface.Otlp, group, receivedAt);
            rejected += answer.Rejected;
            firstError ??= answer.Results.FirstOrDefault(r => r.Errors.Count > 0) is { } r ? $"log record {r.Index}: {r.Errors[0].Field} {r.Errors[0].Message}" : null;
        }

        var response = new ExportLogsServiceResponse();
        if (rejected > 0) response.PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = rejected, ErrorMessage = firstError ?? "" };
        return protobuf
            ? TypedResults.Bytes(response.ToByteArray(), Protobuf)
            : TypedResults.Text(JsonFormatter.Default.Format(response), "application/json", System.Text.Encoding.UTF8);
    }
}
