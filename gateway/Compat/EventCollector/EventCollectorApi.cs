using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Health;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway.Compat.EventCollector;

/// <summary>The event collector's HTTP API (seed 003): <c>POST /collect</c> of learner events and <c>GET /ready</c>.</summary>
public static class EventCollectorApi
{
    public static IEndpointRouteBuilder MapEventCollectorApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/collect", CollectAsync).WithTags("Compatibility: event collector").RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("EventCollectorCollect").WithSummary("Seed 003: a batch of up to 100 learner events (1 MB); valid ones are stored.")
            .CountReceivedBytes(IngestSurface.EventCollector);
        routes.MapGet("/ready", ReadyAsync).WithTags("Compatibility: event collector").AllowAnonymous()
            .WithName("EventCollectorReady").WithSummary("Seed 003: 200 when the service can take events, 503 until then.");
        return routes;
    }

    public static async Task<Results<Ok<CollectResult>, ProblemHttpResult>> CollectAsync(
        HttpRequest request, [AsParameters] IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var (json, refused) = await services.ReadJsonAsync(request, "Send the events as application/json: {\"events\": [...]}.", cancellationToken);
        if (json is null) return refused!;
        using (json)
        {
            var root = json.Root;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                return Problems.Validation([new FieldError("events", "is required: the body is {\"events\": [...]}")]);
            }
            var max = EventCollectorDialect.MaxEvents;
            if (events.GetArrayLength() > max) return Problems.Status(StatusCodes.Status413PayloadTooLarge, "events", $"A batch holds at most {max} events.");
            if (events.GetArrayLength() == 0) return Problems.Validation([new FieldError("events", $"must hold 1 to {max} events")]);

            var items = new List<(EventDraft, List<FieldError>)>();
            var index = 0;
            foreach (var item in events.EnumerateArray())
            {
                var errors = new List<FieldError>();
                items.Add((EventCollectorDialect.Read(item, $"events[{index++}].", errors), errors));
            }
            var result = await services.Ingestion.IngestBatchAsync(request.HttpContext.User.TenantId(), IngestSurface.EventCollector, items, receivedAt);
            var answer = EventCollectorDialect.Answered(result, receivedAt);
            // Over HTTP every field is named from the request's root.
            var failures = answer.Errors.Select(e => e.Field.StartsWith("events[", StringComparison.Ordinal) ? e : e with { Field = $"events.{e.Field}" }).ToList();
            if (answer.Rejected == result.Results.Count) return Problems.Validation(failures);
            return TypedResults.Ok(new CollectResult(answer.Success, answer.BatchId, answer.Accepted, answer.Rejected, answer.Timestamp, failures.Count == 0 ? null : failures));
        }
    }

    public static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>>> ReadyAsync(HealthProbe probe, CancellationToken cancellationToken)
    {
        var checks = await probe.CheckAsync(cancellationToken);
        return checks.Values.All(v => v == "ok")
            ? TypedResults.Ok(new ReadyResponse(true, "ready"))
            : TypedResults.Json(new ReadyResponse(false, "not ready"), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}

/// <summary>The collector's answer: success (nothing rejected), a batch id, counts, when, and what was wrong.</summary>
public sealed record CollectResult(bool Success, Guid BatchId, int Accepted, int Rejected, DateTimeOffset Timestamp,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors);

/// <summary>The collector's readiness.</summary>
public sealed record ReadyResponse(bool Ready, string Status);
