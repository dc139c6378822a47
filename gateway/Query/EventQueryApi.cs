using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Limits;

namespace Telemetry.Gateway.Query;

/// <summary>Reading a tenant's events: <c>GET /v1/events</c> (pages), <c>/v1/events/{id}</c>, <c>/v1/events/export</c>.</summary>
public static class EventQueryApi
{
    public static RouteGroupBuilder MapEventQueryApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/events").WithTags("Events").RequireAuthorization(ApiKeyDefaults.ReadPolicy);
        group.MapGet("/", ListAsync)
            .WithName("ListEvents")
            .WithSummary("The tenant's events newest first, filtered, in pages of up to 1000 with a keyset cursor.");
        group.MapGet("/export", ExportAsync)
            .WithName("ExportEvents")
            .WithSummary("Every event the filters select, streamed as a CSV, NDJSON or Parquet download.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetEvent")
            .WithSummary("One event by id; 404 when the tenant has no such event.");
        return group;
    }

    public static async Task<Results<Ok<EventPage>, ProblemHttpResult>> ListAsync(
        [AsParameters] EventQueryParameters query, HttpContext http, EventQueryStore events, CancellationToken cancellationToken)
    {
        if (!query.TryParse(out var filter, out var limit, out var cursor, out var errors)) return Problems.Validation(errors);
        var (page, next) = await events.ListAsync(http.User.TenantId(), filter, limit, cursor, cancellationToken);
        return TypedResults.Ok(new EventPage([.. page.Select(EventResponse.From)], next?.Encode()));
    }

    public static async Task<Results<Ok<EventResponse>, ProblemHttpResult>> GetAsync(
        string id, HttpContext http, EventQueryStore events, CancellationToken cancellationToken)
    {
        // Another tenant's id answers exactly as an id that does not exist.
        if (!Guid.TryParseExact(id, "D", out var eventId)) return Problems.NotFound("id", "No such event.");
        var stored = await events.GetAsync(http.User.TenantId(), eventId, cancellationToken);
        return stored is null ? Problems.NotFound("id", "No such event.") : TypedResults.Ok(EventResponse.From(stored));
    }

    public static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ExportAsync(
        [AsParameters] EventQueryParameters query, [FromQuery(Name = "format")] string? format, HttpContext http,
        EventQueryStore events, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, TenantConcurrencyLimiter limits, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        if (!query.TryParse(out var filter, out _, out _, out var queryErrors)) errors.AddRange(queryErrors);
        if (query.Limit is { Length: > 0 } || query.Cursor is { Length: > 0 }) errors.Add(new FieldError("limit", "an export has every selected event: no limit or cursor"));
        var (contentType, extension) = (format ?? "ndjson") switch
        {
            "csv" => ("text/csv; charset=utf-8", "csv"),
            "ndjson" => ("application/x-ndjson", "ndjson"),
            "parquet" => ("application/vnd.apache.parquet", "parquet"),
            _ => (null, null),
        };
        if (contentType is null) errors.Add(new FieldError("format", "must be csv, ndjson or parquet"));
        if (errors.Count > 0) return Problems.Validation(errors);

        // An export holds a pooled connection for as long as its client reads: a tenant has a few at once, not the pool.
        using var slot = limits.TryAcquire(TenantResource.Export, http.User.TenantId());
        if (slot is null) return limits.Refuse(http, TenantResource.Export);
        var response = http.Response;
        response.ContentType = contentType;
        response.Headers.ContentDisposition = $"attachment; filename=\"events.{extension}\"";
        await using var rows = await EventExports.StartAsync(events.StreamAsync(http.User.TenantId(), filter, cancellationToken), cancellationToken);
        switch (extension)
        {
            case "csv": await EventExports.WriteCsvAsync(rows, response.Body, cancellationToken); break;
            case "ndjson": await EventExports.WriteNdjsonAsync(rows, response.Body, json.Value.SerializerOptions, cancellationToken); break;
            default: await EventExports.WriteParquetAsync(rows, response.Body, cancellationToken); break;
        }
        return TypedResults.Empty;
    }
}
