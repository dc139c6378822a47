using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Telemetry.Grains;

/// <summary>Serialization settings that silos and gateways must share to understand each other.</summary>
public static class ClusterSerialization
{
    /// <summary>
    /// Lets PostgreSQL's exceptions cross grain calls. Orleans serializes only exceptions of the
    /// namespaces it knows; without this, a grain whose storage failed (say, in its activation during
    /// an outage) answers with a codec error that the gateway cannot tell from a bug, instead of the
    /// NpgsqlException it turns into 503 with Retry-After.
    /// </summary>
    public static IServiceCollection AddTelemetryExceptionSerialization(this IServiceCollection services) =>
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
}
