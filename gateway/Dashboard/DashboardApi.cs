using Microsoft.Net.Http.Headers;

namespace Telemetry.Gateway.Dashboard;

/// <summary>The tenants' dashboard at <c>/dashboard</c>: a static single-page app over the public API.</summary>
public static class DashboardApi
{
    // The page runs only its own script and talks only to this origin: a script injected through
    // tenant data could otherwise read the key from session storage and send it elsewhere.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static IServiceCollection AddDashboard(this IServiceCollection services) =>
        services.AddSingleton(_ => DashboardAssets.Load(typeof(DashboardAssets).Assembly));

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes)
    {
        // Also matches /dashboard itself: routing does not tell it from /dashboard/.
        routes.MapGet("/dashboard/{**path}", Serve)
            .WithName("GetDashboard").WithSummary("The tenants' dashboard page and its assets")
            .AllowAnonymous().ExcludeFromDescription();
        return routes;
    }

    public static IResult Serve(HttpContext http, DashboardAssets assets, string? path)
    {
        if (assets.IsMissing)
        {
            return Problems.NotFound("dashboard", "This gateway was built without the dashboard: build it with npm available (see dashboard/ in the repository).");
        }
        if (string.IsNullOrEmpty(path) && http.Request.Path.Value?.EndsWith('/') != true)
        {
            // The page's assets are relative to it, so it must be addressed as a folder.
            return TypedResults.Redirect($"{http.Request.PathBase}{http.Request.Path}/{http.Request.QueryString}");
        }
        if (assets.Find(string.IsNullOrEmpty(path) ? DashboardAssets.IndexPath : path) is not { } asset)
        {
            return Problems.NotFound("path", "The dashboard has no such file.");
        }

        var headers = http.Response.Headers;
        headers.CacheControl = asset.Immutable ? "public, max-age=31536000, immutable" : "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.Vary = HeaderNames.AcceptEncoding;
        if (asset.Gzipped is not null && asset.GzipETag is not null && AcceptsGzip(http.Request))
        {
            headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(asset.Gzipped, asset.ContentType, entityTag: asset.GzipETag);
        }
        return TypedResults.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }

    private static bool AcceptsGzip(HttpRequest request) =>
        request.GetTypedHeaders().AcceptEncoding.Any(e =>
            (e.Value.Equals("gzip", StringComparison.OrdinalIgnoreCase) || e.Value.Equals("*", StringComparison.Ordinal)) && e.Quality is not 0);
}
