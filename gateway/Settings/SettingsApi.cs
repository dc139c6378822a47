using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Settings;

/// <summary><c>GET</c> and <c>PATCH /v1/settings</c> (scope <c>admin</c>): what a tenant chooses for itself.</summary>
public static class SettingsApi
{
    private const int MaxBodyBytes = 4 * 1024;

    public static IEndpointRouteBuilder MapSettingsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/settings").WithTags("Settings").RequireAuthorization(ApiKeyDefaults.AdminPolicy);
        group.MapGet("/", GetAsync)
            .WithName("GetSettings")
            .WithSummary("The tenant's settings: keep_rate_limited (keep events refused for the rate limit with the refused ones, for replay).");
        group.MapPatch("/", UpdateAsync)
            .WithName("UpdateSettings")
            .WithSummary("Changes the settings named in the body; the others stay. Every gateway applies a change within 5 s.");
        return routes;
    }

    public static async Task<Results<Ok<SettingsResponse>, ProblemHttpResult>> GetAsync(HttpContext http, TenantSettingsStore store, CancellationToken cancellationToken)
    {
        var settings = await store.ReadAsync(http.User.TenantId(), cancellationToken);
        return settings is null ? Problems.NotFound("tenant", "No such tenant.") : TypedResults.Ok(new SettingsResponse(settings.KeepRateLimited));
    }

    public static async Task<Results<Ok<SettingsResponse>, ProblemHttpResult>> UpdateAsync(
        HttpRequest request, TenantSettingsStore store, TenantSettingsCache cache, CancellationToken cancellationToken)
    {
        if (RequestBody.MediaKind(request) != RequestBody.Kind.Json) return Problems.UnsupportedMediaType("Send the settings as application/json: {\"keep_rate_limited\": true}.");
        var (json, refused) = await JsonBody.ReadAsync(request, MaxBodyBytes, 0, cancellationToken);
        if (json is null) return refused!;
        bool? keep = null;
        using (json)
        {
            var errors = new List<FieldError>();
            if (json.Root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new FieldError("body", "must be a JSON object of settings"));
            }
            else
            {
                foreach (var setting in json.Root.EnumerateObject())
                {
                    if (setting.NameEquals("keep_rate_limited") && setting.Value.ValueKind is JsonValueKind.True or JsonValueKind.False) keep = setting.Value.GetBoolean();
                    else if (setting.NameEquals("keep_rate_limited")) errors.Add(new FieldError("keep_rate_limited", "must be true or false"));
                    else errors.Add(new FieldError(TextRules.IsWellFormed(setting.Name) ? setting.Name : "body", "is not a setting (keep_rate_limited)"));
                }
            }
            if (errors.Count > 0) return Problems.Validation(errors);
        }

        var tenantId = request.HttpContext.User.TenantId();
        var settings = await store.UpdateAsync(tenantId, keep, cancellationToken);
        if (settings is null) return Problems.NotFound("tenant", "No such tenant.");
        cache.Remember(tenantId, settings);
        return TypedResults.Ok(new SettingsResponse(settings.KeepRateLimited));
    }
}

/// <summary>A tenant's settings.</summary>
public sealed record SettingsResponse(bool KeepRateLimited);
