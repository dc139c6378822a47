using System.Security.Claims;

namespace Telemetry.Gateway.Auth;

/// <summary>Names of the API key scheme, its claims and the scope policies.</summary>
public static class ApiKeyDefaults
{
    public const string Scheme = "ApiKey";
    public const string TenantClaim = "tenant";
    public const string ScopeClaim = "scope";
    public const string KeyIdClaim = "key_id";
    public const string IngestPolicy = "scope:ingest";
    public const string ReadPolicy = "scope:read";
    public const string AdminPolicy = "scope:admin";

    /// <summary>The id of the key that authenticated the request.</summary>
    public static Guid KeyId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(KeyIdClaim), out var keyId) ? keyId : throw new InvalidOperationException("The request was not authenticated with an API key.");

    /// <summary>The tenant of the key that authenticated the request.</summary>
    public static string TenantId(this ClaimsPrincipal user) =>
        user.FindFirstValue(TenantClaim) ?? throw new InvalidOperationException("The request was not authenticated with an API key.");
}
