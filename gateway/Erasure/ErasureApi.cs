using Microsoft.AspNetCore.Mvc;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Query;

namespace Telemetry.Gateway.Erasure;

/// <summary>
/// <c>DELETE /v1/users/{user_id}</c> (scope <c>admin</c>): erases a user's data, asynchronously; <c>GET /v1/erasures</c>
/// and <c>GET /v1/erasures/{id}</c> (scope <c>admin</c>): the requests, their progress and who asked.
/// </summary>
public static class ErasureApi
{
    private const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapErasureApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/v1/users").WithTags("Erasure").RequireAuthorization(ApiKeyDefaults.AdminPolicy)
            .MapDelete("/{userId}", EraseUserAsync)
            .WithName("EraseUser")
            .WithSummary("202 with an erasure request: the user's events, rollup counts, grain state and refused events go; their ids too with forget_ids=true.");

        var erasures = routes.MapGroup("/v1/erasures").WithTags("Erasure").RequireAuthorization(ApiKeyDefaults.AdminPolicy);
        erasures.MapGet("/", ListAsync)
            .WithName("ListErasures")
            .WithSummary("The tenant's erasure requests, newest first, with who asked and how many rows went; keyset cursor.");
        erasures.MapGet("/{id}", GetAsync)
            .WithName("GetErasure")
            .WithSummary("One erasure request: pending, running, done or failed, with the rows erased so far.");
        return routes;
    }

    public static async Task<Results<Accepted<ErasureResponse>, ProblemHttpResult>> EraseUserAsync(
        string userId, [FromQuery(Name = "forget_ids")] string? forgetIds, HttpContext http, UserErasureStore store, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        // The rule an event's user_id follows: anything else was never stored, and PostgreSQL could not hold some of it.
        if (!EventValidator.CouldBeUserId(userId))
        {
            errors.Add(new FieldError("user_id", $"must be 1 to {EventValidator.MaxUserIdLength} characters of well-formed text"));
        }
        var forget = false;
        if (forgetIds is not null && !bool.TryParse(forgetIds, out forget)) errors.Add(new FieldError("forget_ids", "must be true or false"));
        if (errors.Count > 0) return Problems.Validation(errors);

        var (erasure, _) = await store.RequestAsync(http.User.TenantId(), userId, http.User.KeyId(), forget, cancellationToken);
        // A request already open for the user is answered as is: asking twice erases once.
        return TypedResults.Accepted($"/v1/erasures/{erasure.Id}", ErasureResponse.Of(erasure));
    }

    public static async Task<Results<Ok<ErasureResponse>, ProblemHttpResult>> GetAsync(string id, HttpContext http, UserErasureStore store, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var erasureId) || await store.GetAsync(http.User.TenantId(), erasureId, cancellationToken) is not { } erasure)
        {
            return Problems.NotFound("id", "No erasure request of this tenant has this id.");
        }
        return TypedResults.Ok(ErasureResponse.Of(erasure));
    }

    public static async Task<Results<Ok<ErasurePage>, ProblemHttpResult>> ListAsync(
        [FromQuery(Name = "cursor")] string? cursor, [FromQuery(Name = "limit")] string? limit, HttpContext http, UserErasureStore store, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var size = QueryText.Limit(limit, MaxLimit, 50, errors);
        Guid? after = null;
        if (cursor is not null)
        {
            if (Guid.TryParse(cursor, out var last)) after = last;
            else errors.Add(new FieldError("cursor", "must be a cursor from an earlier page"));
        }
        if (errors.Count > 0) return Problems.Validation(errors);

        var rows = await store.ListAsync(http.User.TenantId(), after, size, cancellationToken);
        var next = rows.Count == size ? rows[^1].Id.ToString() : null;
        return TypedResults.Ok(new ErasurePage([.. rows.Select(ErasureResponse.Of)], next));
    }
}
