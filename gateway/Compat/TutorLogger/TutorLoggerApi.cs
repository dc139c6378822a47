using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Limits;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Usage;

namespace Telemetry.Gateway.Compat.TutorLogger;

/// <summary>
/// The DSC 10 tutor logger's <c>POST /events</c> (seed 000): <c>{"event_type", "user_email", "payload"}</c>
/// answered <c>201 {"id", "created_at"}</c>. Its browser client sends no key: the operator may name one
/// tenant (<c>TELEMETRY_ANONYMOUS_TENANT</c>) that takes keyless events here.
/// </summary>
public static class TutorLoggerApi
{
    public static IEndpointRouteBuilder MapTutorLoggerApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/events").WithTags("Compatibility: tutor logger").AllowAnonymous()
            .MapPost("/", IngestAsync)
            .WithName("TutorLoggerIngest")
            .WithSummary("Seed 000: {event_type, user_email, payload} stored as a native event (type, user_id, properties).")
            .CountReceivedBytes(IngestSurface.TutorLogger);
        return routes;
    }

    /// <summary>The tenant that takes keyless events, if any (<c>TELEMETRY_ANONYMOUS_TENANT</c>).</summary>
    public sealed class AnonymousTenantOptions
    {
        public string? TenantId { get; set; }
    }

    public static async Task<Results<Created<TutorLoggerCreated>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, [AsParameters] IngestServices services, IOptions<AnonymousTenantOptions> anonymous, KeylessClientLimiter keylessClients, CancellationToken cancellationToken)
    {
        var receivedAt = services.Ingestion.Now();
        var user = request.HttpContext.User;
        string tenantId;
        if (user.Identity?.IsAuthenticated == true)
        {
            if (!user.HasClaim(ApiKeyDefaults.ScopeClaim, "ingest")) return Problems.Status(StatusCodes.Status403Forbidden, "Authorization", "The API key does not have the ingest scope.");
            tenantId = user.TenantId();
        }
        else if (ApiKeyAuthenticationHandler.PresentedKey(request) is not null)
        {
            return Problems.Status(StatusCodes.Status401Unauthorized, "Authorization", "The API key is unknown or revoked.");
        }
        else if (anonymous.Value.TenantId is { Length: > 0 } keyless)
        {
            keylessClients.Take(request.HttpContext);
            tenantId = keyless;
            request.HttpContext.Items[UsageRecorder.TenantItem] = keyless;
        }
        else
        {
            return Problems.Status(StatusCodes.Status401Unauthorized, "Authorization", "Send an API key with the ingest scope, or ask the operator to set TELEMETRY_ANONYMOUS_TENANT.");
        }

        var (json, refused) = await services.ReadJsonAsync(request, "Send the event as application/json.", cancellationToken);
        if (json is null) return refused!;
        using (json)
        {
            var errors = new List<FieldError>();
            var draft = TutorLoggerDialect.Read(json.Root, errors);
            var (outcome, rejected) = await services.Ingestion.IngestOneAsync(tenantId, IngestSurface.TutorLogger, draft, errors, receivedAt);
            if (outcome is not { } stored) return Problems.Validation(TutorLoggerDialect.Renamed(rejected));
            return TypedResults.Created($"/v1/events/{stored.Id}", new TutorLoggerCreated(stored.Id, stored.ReceivedAt));
        }
    }
}

/// <summary>What the tutor logger answers: the stored event's id and when it was received.</summary>
public sealed record TutorLoggerCreated(Guid Id, DateTimeOffset CreatedAt);
