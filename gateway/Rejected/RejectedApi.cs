using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Query;

namespace Telemetry.Gateway.Rejected;

/// <summary>
/// <c>GET /v1/rejected</c> (scope <c>read</c>): the tenant's refused events with their reasons, newest first;
/// <c>POST /v1/rejected/replay</c> (scope <c>ingest</c>): sends chosen ones again through the native path, keeping their ids.
/// </summary>
public static class RejectedApi
{
    private const int MaxLimit = 1000;
    private const int MaxReplay = 1000;

    public static IEndpointRouteBuilder MapRejectedApi(this IEndpointRouteBuilder routes)
    {
        var rejected = routes.MapGroup("/v1/rejected").WithTags("Rejected events");
        rejected.MapGet("/", ListAsync).RequireAuthorization(ApiKeyDefaults.ReadPolicy)
            .WithName("ListRejectedEvents")
            .WithSummary("Refused events with their reasons, newest first; filters surface, field, from, to; keyset cursor.");
        rejected.MapPost("/replay", ReplayAsync).RequireAuthorization(ApiKeyDefaults.IngestPolicy)
            .WithName("ReplayRejectedEvents")
            .WithSummary("Sends the named refused events again through the native ingest path with their ids; one result each.");
        return routes;
    }

    public sealed record ListQuery(
        [property: FromQuery(Name = "surface")] string? Surface,
        [property: FromQuery(Name = "field")] string? Field,
        [property: FromQuery(Name = "from")] string? From,
        [property: FromQuery(Name = "to")] string? To,
        [property: FromQuery(Name = "cursor")] string? Cursor,
        [property: FromQuery(Name = "limit")] string? Limit);

    public static async Task<Results<Ok<RejectedPage>, ProblemHttpResult>> ListAsync([AsParameters] ListQuery query, HttpContext http, RejectedEventStore store, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var limit = QueryText.Limit(query.Limit, MaxLimit, 100, errors);
        var before = long.MaxValue;
        if (query.Cursor is not null && (!long.TryParse(query.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out before) || before < 1))
        {
            errors.Add(new FieldError("cursor", "must be a cursor from an earlier page"));
        }
        var from = QueryText.Time(query.From, "from", errors);
        var to = QueryText.Time(query.To, "to", errors);
        // Text PostgreSQL can hold, or a 422: a NUL in a filter would be its error, not the client's.
        var surface = QueryText.Filter(query.Surface, "surface", 64, errors);
        var field = QueryText.Filter(query.Field, "field", 128, errors);
        if (errors.Count > 0) return Problems.Validation(errors);

        var rows = await store.ListAsync(http.User.TenantId(), before, limit, surface, field, from, to, cancellationToken);
        var next = rows.Count == limit ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new RejectedPage([.. rows.Select(RejectedEventResponse.Of)], next));
    }

    public static async Task<Results<Ok<ReplayResponse>, ProblemHttpResult>> ReplayAsync(
        HttpRequest request, [AsParameters] IngestServices services, RejectedEventStore store, CancellationToken cancellationToken)
    {
        var (json, refused) = await services.ReadJsonAsync(request, "Send {\"ids\": [...]} as application/json.", cancellationToken);
        if (json is null) return refused!;
        var ids = new List<long>();
        using (json)
        {
            if (json.Root.ValueKind != JsonValueKind.Object || !json.Root.TryGetProperty("ids", out var list) || list.ValueKind != JsonValueKind.Array
                || list.GetArrayLength() is < 1 or > MaxReplay || list.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.Number || !i.TryGetInt64(out _)))
            {
                return Problems.Validation([new FieldError("ids", $"must be an array of 1 to {MaxReplay} ids from GET /v1/rejected")]);
            }
            ids.AddRange(list.EnumerateArray().Select(i => i.GetInt64()).Distinct());
        }

        var tenantId = request.HttpContext.User.TenantId();
        var kept = (await store.GetManyAsync(tenantId, ids, cancellationToken)).ToDictionary(r => r.Id);
        var items = new List<(EventDraft Draft, List<FieldError> Errors)>();
        var replayed = new List<long>();
        var results = new List<ReplayResult>();
        foreach (var id in ids)
        {
            if (!kept.TryGetValue(id, out var rejection))
            {
                results.Add(new ReplayResult(id, null, "not_found", []));
                continue;
            }
            using var document = JsonDocument.Parse(rejection.Event);
            var errors = new List<FieldError>();
            items.Add((EventJsonReader.Read(document.RootElement, errors), errors));
            replayed.Add(id);
        }
        if (items.Count > 0)
        {
            var answer = await services.Ingestion.IngestBatchAsync(tenantId, IngestSurface.Replay, items, services.Ingestion.Now());
            for (var k = 0; k < replayed.Count; k++)
            {
                var r = answer.Results[k];
                results.Add(new ReplayResult(replayed[k], r.Id, r.Status, r.Errors));
            }
            await store.MarkReplayedAsync(tenantId, [.. replayed.Select((id, k) => (id, answer.Results[k].Status))], cancellationToken);
        }
        return TypedResults.Ok(new ReplayResponse([.. results.OrderBy(r => ids.IndexOf(r.RejectedId))]));
    }
}
