using Grpc.AspNetCore.Server;
using Telemetry.Gateway.Compat.CentralLogger;
using Telemetry.Gateway.Compat.EventCollector;
using Telemetry.Gateway.Compat.Otlp;
using Telemetry.Gateway.Compat.TutorLogger;
using Telemetry.Gateway.Ingest;
using Telemetry.Observability;

namespace Telemetry.Gateway.Compat;

/// <summary>
/// The older services' surfaces, listed once: each dialect's settings, answer JSON and endpoints. A new dialect is a
/// folder beside the others and a line in each method here; nothing outside <c>Compat/</c> changes.
/// </summary>
public static class CompatSurfaces
{
    public static IServiceCollection AddCompatSurfaces(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<TutorLoggerApi.AnonymousTenantOptions>(o => o.TenantId = configuration["TELEMETRY_ANONYMOUS_TENANT"] is { Length: > 0 } t ? t : null);
        // Ahead of the reflection resolver at the chain's end, like the gateway's own context.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, TutorLoggerJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, CentralLoggerJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, EventCollectorJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, CompatHealthJson.Default);
        });
        services.AddGrpc(grpc => grpc.Interceptors.Add<GrpcFailureInterceptor>());
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<IngestOptions>>((grpc, ingest) => grpc.MaxReceiveMessageSize = ingest.Value.MaxBodyBytes);
        return services;
    }

    public static IEndpointRouteBuilder MapCompatSurfaces(this IEndpointRouteBuilder routes, GatewayPorts ports)
    {
        routes.MapTutorLoggerApi();
        routes.MapCentralLoggerApi();
        routes.MapEventCollectorApi();
        routes.MapGrpcService<EventCollectorGrpcService>().RequireLocalPort(ports.Grpc);
        routes.MapHealthCompatApi();
        routes.MapOtlpLogsApi();
        return routes;
    }
}
