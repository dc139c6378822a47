namespace Telemetry.Gateway.Dashboard;

/// <summary>The tenants' dashboard at <c>/dashboard</c>: a static single-page app over the public API.</summary>
public static class DashboardApi
{
    public static IServiceCollection AddDashboard(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder routes) => routes;
}
