using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Health;
using Telemetry.Gateway.Infrastructure;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat;

/// <summary>
/// The event collector's HTTP API (seed 003): <c>POST /collect</c> of learner events and <c>GET /ready</c>.
/// A learner event is a native event: event_type → type, learner_id → user_id, session_id, timestamp;
/// course_id, lesson_id, event_data and metadata kept in properties.
/// </summary>
public static class EventCollectorApi
{
    public const int MaxEvents = 100;

    /// <summary>The collector's eight event types; any other is rejected.</summary>
    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "lesson_started", "lesson_completed", "lesson_paused", "lesson_resumed",
        "assessment_started", "assessment_completed", "assessment_submitted", "progress_updated",
    };

    internal static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["type"] = "event_type",
        ["user_id"] = "learner_id",
        ["session_id"] = "session_id",
        ["timestamp"] = "timestamp",
        ["properties"] = "event_data",
        ["id"] = "event_id",
    };

    public static IEndpointRouteBuilder MapEventCollectorApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/collect", CollectAsync).WithTags("Compatibility: event collector").RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("EventCollectorCollect").WithSummary("Seed 003: a batch of up to 100 learner events (1 MB); valid ones are stored.");
        routes.MapGet("/ready", ReadyAsync).WithTags("Compatibility: event collector").AllowAnonymous()
            .WithName("EventCollectorReady").WithSummary("Seed 003: 200 when the service can take events, 503 until then.");
        return routes;
    }

    public static async Task<Results<Ok<CollectResult>, ProblemHttpResult>> CollectAsync(
        HttpRequest request, [AsParameters] EventsApi.IngestServices services, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        if (RequestBody.MediaKind(request) != RequestBody.Kind.Json) return Problems.UnsupportedMediaType("Send the events as application/json: {\"events\": [...]}.");
        var (json, refused) = await JsonBody.ReadAsync(request, services.Options.MaxBodyBytes, services.Options.MaxJsonDepth, cancellationToken);
        if (json is null) return refused!;
        using (json)
        {
            var root = json.Root;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
            {
                return Problems.Validation([new FieldError("events", "is required: the body is {\"events\": [...]}")]);
            }
            if (events.GetArrayLength() > MaxEvents) return Problems.Status(StatusCodes.Status413PayloadTooLarge, "events", $"A batch holds at most {MaxEvents} events.");
            if (events.GetArrayLength() == 0) return Problems.Validation([new FieldError("events", $"must hold 1 to {MaxEvents} events")]);

            var items = new List<(EventDraft, List<FieldError>)>();
            var index = 0;
            foreach (var item in events.EnumerateArray())
            {
                var errors = new List<FieldError>();
                items.Add((Read(item, $"events[{index++}].", errors), errors));
            }
            var result = await services.Ingestion.IngestBatchAsync(request.HttpContext.User.TenantId(), IngestSurface.EventCollector, items, receivedAt);
            var failures = result.Results.Where(r => r.Status == "rejected")
                .SelectMany(r => CompatJson.Rename(r.Errors, Names, $"events[{r.Index}]."))
                .Select(e => e.Field.StartsWith("events[", StringComparison.Ordinal) ? e : e with { Field = $"events.{e.Field}" })
                .ToList();
            if (result.Rejected == result.Results.Count) return Problems.Validation(failures);
            return TypedResults.Ok(new CollectResult(result.Rejected == 0, Guid.CreateVersion7(receivedAt), result.Accepted + result.Duplicates, result.Rejected,
                receivedAt, failures.Count == 0 ? null : failures));
        }
    }

    public static async Task<Results<Ok<ReadyResponse>, JsonHttpResult<ReadyResponse>>> ReadyAsync(HealthProbe probe, CancellationToken cancellationToken)
    {
        var checks = await probe.CheckAsync(cancellationToken);
        return checks.Values.All(v => v == "ok")
            ? TypedResults.Ok(new ReadyResponse(true, "ready"))
            : TypedResults.Json(new ReadyResponse(false, "not ready"), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>A learner event as a native draft; the field names in errors are the collector's.</summary>
    internal static EventDraft Read(JsonElement item, string prefix, List<FieldError> errors)
    {
        var fields = CompatJson.Fields(item, prefix, errors, out _);
        var type = CompatJson.Text(fields, "event_type", prefix, errors, required: true);
        if (type is not null && !EventTypes.Contains(type)) errors.Add(new FieldError(prefix + "event_type", $"must be one of {string.Join(", ", EventTypes)}"));
        var properties = new CompatJson.PropertiesBuilder()
            .Add("course_id", CompatJson.Text(fields, "course_id", prefix, errors, required: true))
            .Add("lesson_id", CompatJson.Text(fields, "lesson_id", prefix, errors, required: true))
            .Add("event_data", CompatJson.JsonObject(fields, "event_data", prefix, errors, required: true))
            .Add("metadata", CompatJson.JsonObject(fields, "metadata", prefix, errors));
        foreach (var (name, value) in fields.Where(f => f.Key is not ("learner_id" or "course_id" or "lesson_id" or "event_type" or "event_data" or "timestamp" or "session_id" or "metadata" or "event_id")))
        {
            properties.Add(name, value);
        }
        return new EventDraft
        {
            Id = CompatJson.Text(fields, "event_id", prefix, errors),
            Type = type,
            UserId = CompatJson.Text(fields, "learner_id", prefix, errors, required: true),
            SessionId = CompatJson.Text(fields, "session_id", prefix, errors),
            Timestamp = CompatJson.Timestamp(CompatJson.Text(fields, "timestamp", prefix, errors, required: true)),
            PropertiesJson = properties.ToJson(),
        };
    }
}

/// <summary>The collector's answer: success (nothing rejected), a batch id, counts, when, and what was wrong.</summary>
public sealed record CollectResult(bool Success, Guid BatchId, int Accepted, int Rejected, DateTimeOffset Timestamp,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors);

/// <summary>The collector's readiness.</summary>
public sealed record ReadyResponse(bool Ready, string Status);
