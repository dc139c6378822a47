using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Ingest;

namespace Telemetry.Gateway.Keys;

/// <summary>A tenant's API keys (scope <c>admin</c>): create, list, revoke.</summary>
public static class KeysApi
{
    private const int MaxNameLength = 128;
    private const int MaxBodyBytes = 16 * 1024;

    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization(ApiKeyDefaults.AdminPolicy);
        group.MapPost("/", CreateAsync)
            .WithName("CreateKey")
            .WithSummary("Creates a key with a name and scopes (ingest, read, admin); the answer is the only time the key is shown.");
        group.MapGet("/", ListAsync)
            .WithName("ListKeys")
            .WithSummary("The tenant's keys, revoked ones included, without the keys themselves.");
        group.MapDelete("/{id}", RevokeAsync)
            .WithName("RevokeKey")
            .WithSummary("Revokes a key: every gateway refuses it within a second.");
        return group;
    }

    public static async Task<Results<Created<CreatedKeyResponse>, ProblemHttpResult>> CreateAsync(HttpRequest request, ApiKeyStore keys, KnownApiKeys known, CancellationToken cancellationToken)
    {
        if (RequestBody.MediaKind(request) != RequestBody.Kind.Json) return Problems.UnsupportedMediaType("Send the key as application/json: {\"name\", \"scopes\"}.");
        var (json, refused) = await JsonBody.ReadAsync(request, MaxBodyBytes, 0, cancellationToken);
        if (json is null) return refused!;
        string name;
        KeyScopes scopes;
        using (json)
        {
            var errors = new List<FieldError>();
            (name, scopes) = Read(json.Root, errors);
            if (errors.Count > 0) return Problems.Validation(errors);
        }

        var created = await keys.CreateKeyAsync(request.HttpContext.User.TenantId(), name, scopes, cancellationToken);
        // This gateway knows the key at once; the others at their next refresh of the known ids (Auth:KnownKeysRefresh).
        known.Add(created.KeyId);
        return TypedResults.Created($"/v1/keys/{created.KeyId}",
            new CreatedKeyResponse(created.KeyId, name, ApiKeyFormat.ScopeNames(created.Scopes), created.Key, created.CreatedAt));
    }

    public static async Task<Ok<KeyList>> ListAsync(HttpContext http, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        var all = await keys.ListAsync(http.User.TenantId(), cancellationToken);
        return TypedResults.Ok(new KeyList([.. all.Select(k => new KeyResponse(k.KeyId, k.Name, ApiKeyFormat.ScopeNames(k.Scopes), k.CreatedAt, k.RevokedAt))]));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(string id, HttpContext http, ApiKeyStore keys, ApiKeyResolver resolver, CancellationToken cancellationToken)
    {
        // Another tenant's key answers exactly as a key that does not exist.
        if (!Guid.TryParseExact(id, "D", out var keyId) || !await keys.RevokeAsync(http.User.TenantId(), keyId, cancellationToken))
        {
            return Problems.NotFound("id", "No such key.");
        }
        // Refused at once here, and its streams here end at the next revocation check; other gateways follow within
        // Auth:CacheFor (their cached look-up expires) plus, for streams, Auth:RevocationCheckInterval.
        resolver.Forget(keyId);
        return TypedResults.NoContent();
    }

    private static (string Name, KeyScopes Scopes) Read(JsonElement root, List<FieldError> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new FieldError("body", "must be a JSON object: {\"name\", \"scopes\"}"));
            return ("", KeyScopes.None);
        }
        string? name = null;
        var scopes = KeyScopes.None;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    errors.Add(new FieldError(property.Name, "appears more than once"));
                    continue;
                }
                switch (property.Name)
                {
                    case "name":
                        if (property.Value.ValueKind != JsonValueKind.String || !EventJsonReader.TryGetString(property.Value, out var text)
                            || TextRules.Length(text) is < 1 or > MaxNameLength || TextRules.HasControl(text))
                        {
                            errors.Add(new FieldError("name", $"must be 1 to {MaxNameLength} characters without control characters"));
                        }
                        else
                        {
                            name = text;
                        }
                        break;
                    case "scopes":
                        if (property.Value.ValueKind != JsonValueKind.Array || property.Value.GetArrayLength() == 0)
                        {
                            errors.Add(new FieldError("scopes", "must be a non-empty array of \"ingest\", \"read\", \"admin\""));
                            break;
                        }
                        foreach (var item in property.Value.EnumerateArray())
                        {
                            if (EventJsonReader.TryGetString(item, out var scopeName) && ApiKeyFormat.TryParseScope(scopeName, out var scope)) scopes |= scope;
                            else errors.Add(new FieldError("scopes", $"{item.GetRawText()} is not one of \"ingest\", \"read\", \"admin\""));
                        }
                        break;
                    default:
                        errors.Add(new FieldError(property.Name.Length > 64 ? property.Name[..64] : property.Name, "is not a field of a key"));
                        break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // A name with a lone surrogate escape cannot be read as text.
            errors.Add(new FieldError("body", "holds a name that is not valid Unicode"));
            return ("", KeyScopes.None);
        }
        if (name is null && !errors.Exists(e => e.Field == "name")) errors.Add(new FieldError("name", "is required"));
        if (!seen.Contains("scopes")) errors.Add(new FieldError("scopes", "is required"));
        return (name ?? "", scopes);
    }
}
