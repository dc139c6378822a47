using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Infrastructure;
using Telemetry.Gateway.Limits;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Compat;

/// <summary>
/// The DSC 10 tutor logger's <c>POST /events</c> (seed 000): <c>{"event_type", "user_email", "payload"}</c>
/// answered <c>201 {"id", "created_at"}</c>. Its browser client sends no key: the operator may name one
/// tenant (<c>TELEMETRY_ANONYMOUS_TENANT</c>) that takes keyless events here.
/// </summary>
public static class TutorLoggerApi
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["type"] = "event_type",
        ["user_id"] = "user_email",
        ["properties"] = "payload",
    };

    public static IEndpointRouteBuilder MapTutorLoggerApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/events").WithTags("Compatibility: tutor logger").AllowAnonymous()
            .MapPost("/", IngestAsync)
            .WithName("TutorLoggerIngest")
            .WithSummary("Seed 000: {event_type, user_email, payload} stored as a native event (type, user_id, properties).");
        return routes;
    }

    /// <summary>The tenant that takes keyless events, if any (<c>TELEMETRY_ANONYMOUS_TENANT</c>).</summary>
    public sealed class AnonymousTenantOptions
    {
        public string? TenantId { get; set; }
    }

    public static async Task<Results<Created<TutorLoggerCreated>, ProblemHttpResult>> IngestAsync(
        HttpRequest request, [AsParameters] EventsApi.IngestServices services, IOptions<AnonymousTenantOptions> anonymous, KeylessClientLimiter keylessClients, CancellationToken cancellationToken)
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
        }
        else
        {
            return Problems.Status(StatusCodes.Status401Unauthorized, "Authorization", "Send an API key with the ingest scope, or ask the operator to set TELEMETRY_ANONYMOUS_TENANT.");
        }

        if (RequestBody.MediaKind(request) != RequestBody.Kind.Json) return Problems.UnsupportedMediaType("Send the event as application/json.");
        var (json, refused) = await JsonBody.ReadAsync(request, services.Options.MaxBodyBytes, services.Options.MaxJsonDepth, cancellationToken);
        if (json is null) return refused!;
        using (json)
        {
            var errors = new List<FieldError>();
            var draft = Read(json.Root, errors);
            var (outcome, rejected) = await services.Ingestion.IngestOneAsync(tenantId, IngestSurface.TutorLogger, draft, errors, receivedAt);
            if (outcome is not { } stored) return Problems.Validation(CompatJson.Rename(rejected, Names));
            return TypedResults.Created($"/v1/events/{stored.Id}", new TutorLoggerCreated(stored.Id, stored.ReceivedAt));
        }
    }

    /// <summary>event_type → type, user_email → user_id, payload → properties; any other field is kept under properties._extra.</summary>
    private static EventDraft Read(JsonElement body, List<FieldError> errors)
    {
        var fields = CompatJson.Fields(body, "", errors, out _);
        var draft = new EventDraft
        {
            Type = CompatJson.Text(fields, "event_type", "", errors, required: true),
            UserId = CompatJson.Text(fields, "user_email", "", errors),
        };
        var payload = CompatJson.JsonObject(fields, "payload", "", errors);
        var extra = fields.Where(f => f.Key is not ("event_type" or "user_email" or "payload")).ToList();
        if (extra.Count == 0)
        {
            draft.PropertiesJson = payload?.GetRawText();
        }
        else
        {
            var others = new CompatJson.PropertiesBuilder();
            foreach (var (name, value) in extra) others.Add(name, value);
            using var extraJson = JsonDocument.Parse(others.ToJson());
            draft.PropertiesJson = new CompatJson.PropertiesBuilder().AddAll(payload).Add("_extra", extraJson.RootElement).ToJson();
        }
        return draft;
    }
}

/// <summary>What the tutor logger answers: the stored event's id and when it was received.</summary>
public sealed record TutorLoggerCreated(Guid Id, DateTimeOffset CreatedAt);
