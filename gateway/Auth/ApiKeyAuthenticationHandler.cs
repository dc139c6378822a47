using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;

namespace Telemetry.Gateway.Auth;

/// <summary>
/// Authenticates a request by its API key, sent as <c>Authorization: Bearer &lt;key&gt;</c> or
/// <c>X-API-Key: &lt;key&gt;</c>; answers 401 and 403 as problem details.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyResolver resolver)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request);
        if (presented is null) return AuthenticateResult.NoResult();

        var key = await resolver.ResolveAsync(presented, Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("The API key is unknown or revoked.");

        var claims = new List<Claim>
        {
            new(ApiKeyDefaults.TenantClaim, key.TenantId),
            new(ApiKeyDefaults.KeyIdClaim, key.KeyId.ToString()),
        };
        foreach (var scope in ApiKeyFormat.ScopeNames(key.Scopes)) claims.Add(new Claim(ApiKeyDefaults.ScopeClaim, scope));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyDefaults.Scheme));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, ApiKeyDefaults.Scheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = PresentedKey(Request) is null
            ? "Send the key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
            : "The API key is unknown or revoked.";
        await Problems.Status(StatusCodes.Status401Unauthorized, "Authorization", detail).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        await Problems.Status(StatusCodes.Status403Forbidden, "Authorization", "The API key does not have the scope this endpoint needs.").ExecuteAsync(Context);
    }

    /// <summary>The key from Authorization: Bearer, else X-API-Key; null when neither is there.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization["Bearer ".Length..].Trim();
        var header = request.Headers["X-API-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }
}
