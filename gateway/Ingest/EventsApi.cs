using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway.Ingest;

/// <summary>The native ingest endpoints: <c>POST /v1/events</c> and <c>POST /v1/events/batch</c>.</summary>
public static class EventsApi
{
    public static RouteGroupBuilder MapEventsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/events").WithTags("Events");
        group.MapPost("/", IngestOneAsync)
            .RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("IngestEvent")
            .WithSummary("Store one event: 201 when stored, 200 with duplicate: true when its id was stored before.")
            .CountReceivedBytes(IngestSurface.Native);
        group.MapPost("/batch", IngestBatchAsync)
            .RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("IngestEventBatch")
            .WithSummary("Store 1 to 1000 events ({\"events\": [...]} or NDJSON); valid events are stored even when others are rejected.")
            .CountReceivedBytes(IngestSurface.Native);
        return group;
    }

    public static async Task<Results<Created<IngestedEvent>, Ok<IngestedEvent>, ProblemHttpResult>> IngestOneAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var (json, refused) = await services.ReadJsonAsync(request, "Send the event as application/json.", cancellationToken);
        if (json is null) return refused!;
        using (json)
        {
            var errors = new List<FieldError>();
            var draft = EventJsonReader.Read(json.Root, errors);
            var (outcome, rejected) = await services.Ingestion.IngestOneAsync(request.HttpContext.User.TenantId(), IngestSurface.Native, draft, errors, receivedAt);
            if (outcome is not { } stored) return Problems.Validation(rejected);
            return stored.Duplicate
                ? TypedResults.Ok(new IngestedEvent(stored.Id, stored.ReceivedAt, Duplicate: true))
                : TypedResults.Created($"/v1/events/{stored.Id}", new IngestedEvent(stored.Id, stored.ReceivedAt));
        }
    }

    public static async Task<Results<Ok<BatchResponse>, UnprocessableEntity<BatchResponse>, ProblemHttpResult>> IngestBatchAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var kind = RequestBody.MediaKind(request);
        if (kind == RequestBody.Kind.Unsupported)
        {
            return Problems.UnsupportedMediaType("Send the batch as application/json ({\"events\": [...]}) or application/x-ndjson.");
        }

        var (body, refusal) = await RequestBody.ReadAsync(request, services.Options.MaxBodyBytes, cancellationToken);
        if (body is null) return Problems.Refused(refusal!);
        using (body)
        {
            var read = kind == RequestBody.Kind.Json
                ? BatchBodyReader.ReadEnvelope(body.Memory, services.Options)
                : BatchBodyReader.ReadNdjson(body.Memory, services.Options);
            if (read.Problem is { } refused) return refused;

            var response = await services.Ingestion.IngestBatchAsync(request.HttpContext.User.TenantId(), IngestSurface.Native, read.Items, receivedAt);
            return response.Rejected == response.Results.Count
                ? TypedResults.UnprocessableEntity(response)
                : TypedResults.Ok(response);
        }
    }
}
