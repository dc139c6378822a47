using Microsoft.AspNetCore.Authentication;
using Orleans.Configuration;
using Telemetry.Gateway.Alerts;
using Telemetry.Gateway.Auth;
using Telemetry.Gateway.Compat;
using Telemetry.Gateway.Dashboard;
using Telemetry.Gateway.Erasure;
using Telemetry.Gateway.Health;
using Telemetry.Gateway.Ingest;
using Telemetry.Gateway.Keys;
using Telemetry.Gateway.Limits;
using Telemetry.Gateway.Live;
using Telemetry.Gateway.Metrics;
using Telemetry.Gateway.Query;
using Telemetry.Gateway.Rejected;
using Telemetry.Gateway.Settings;
using Telemetry.Gateway.Usage;
using Telemetry.Observability;

namespace Telemetry.Gateway;

/// <summary>Registers the gateway's services and maps its endpoints.</summary>
public static class Extensions
{
    public static WebApplicationBuilder AddTelemetryGateway(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        builder.AddTelemetryObservability("telemetry-gateway");

        var ports = GatewayPorts.From(configuration);
        services.AddSingleton(ports);
        var ingest = configuration.GetSection(IngestOptions.Section).Get<IngestOptions>() ?? new IngestOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenAnyIP(ports.Http);
            // gRPC without TLS needs HTTP/2 only on its port (h2c): the event collector's clients connect insecure.
            kestrel.ListenAnyIP(ports.Grpc, listen => listen.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
            kestrel.ListenAnyIP(ports.Metrics);
            kestrel.Limits.MaxRequestBodySize = RequestBody.TransportLimit(ingest.MaxBodyBytes);
        });

        // Kestrel listens while the Orleans client is still connecting, so that /health/live
        // answers and /health/ready says 503 until the cluster is reachable.
        services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = configuration["TELEMETRY_CLUSTER_ID"] is { Length: > 0 } cluster ? cluster : "telemetry";
                o.ServiceId = configuration["TELEMETRY_SERVICE_ID"] is { Length: > 0 } service ? service : "telemetry";
            });
            client.AddActivityPropagation();
            client.Services.AddTelemetryExceptionSerialization();
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = configuration[DatabaseOptions.ConfigurationKey];
            });
            // A call to a silo that died waits this long at most before the client gets a 503 and retries.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = configuration.GetValue("Cluster:ResponseTimeout", TimeSpan.FromSeconds(10)));
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return true;
            });
        });

        services.AddTelemetryStorage(configuration);
        services.TryAddSingletonTimeProvider();
        services.AddValidatedOptions<IngestOptions>(configuration.GetSection(IngestOptions.Section));
        services.AddValidatedOptions<ApiKeyOptions>(configuration.GetSection(ApiKeyOptions.Section));
        services.AddSingleton<ApiKeyResolver>();
        services.AddSingleton<KnownApiKeys>().AddHostedService(sp => sp.GetRequiredService<KnownApiKeys>());
        services.AddSingleton<KeyRevocationWatch>().AddHostedService(sp => sp.GetRequiredService<KeyRevocationWatch>());
        services.AddValidatedOptions<ConcurrencyLimitOptions>(configuration.GetSection(ConcurrencyLimitOptions.Section));
        services.AddSingleton<TenantConcurrencyLimiter>();
        services.AddSingleton<EventValidator>();
        services.AddSingleton<TenantLogAppender>();
        services.AddSingleton<EventIngestion>();
        services.AddValidatedOptions<RateLimitOptions>(configuration.GetSection(RateLimitOptions.Section));
        // A batch must fit in a tenant's burst: the bucket holds at least the largest batch.
        services.AddOptions<RateLimitOptions>().PostConfigure<IOptions<IngestOptions>>((limits, ingest) => limits.Burst = Math.Max(limits.Burst, ingest.Value.MaxBatchEvents));
        services.AddSingleton<TenantRateLimiter>();
        services.AddSingleton<KeylessClientLimiter>();
        services.AddSingleton<UserReadLimiter>();
        services.AddSingleton<HealthProbe>();
        services.AddValidatedOptions<StreamOptions>(configuration.GetSection(StreamOptions.Section));
        services.AddSingleton<LiveMetricsHub>();
        services.AddValidatedOptions<MetricsReadOptions>(configuration.GetSection(MetricsReadOptions.Section));
        services.AddHostedService(sp => sp.GetRequiredService<LiveMetricsHub>());

        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyDefaults.IngestPolicy, p => p.RequireClaim(ApiKeyDefaults.ScopeClaim, "ingest"))
            .AddPolicy(ApiKeyDefaults.ReadPolicy, p => p.RequireClaim(ApiKeyDefaults.ScopeClaim, "read"))
            .AddPolicy(ApiKeyDefaults.AdminPolicy, p => p.RequireClaim(ApiKeyDefaults.ScopeClaim, "admin"));

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJson.Default);
        });
        // Browser apps may post from these origins (TELEMETRY_CORS_ORIGINS, comma-separated; "*" for any).
        var origins = (configuration["TELEMETRY_CORS_ORIGINS"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (origins.Length > 0)
        {
            services.AddCors(cors => cors.AddDefaultPolicy(policy =>
            {
                if (origins.Contains("*")) policy.AllowAnyOrigin();
                else policy.WithOrigins(origins);
                policy.WithMethods("GET", "POST", "DELETE")
                    .WithHeaders("Authorization", "X-API-Key", "Content-Type", "Content-Encoding")
                    .WithExposedHeaders("Retry-After", "Location")
                    .SetPreflightMaxAge(TimeSpan.FromHours(1));
            }));
        }
        services.AddValidatedOptions<AlertTargetOptions>(configuration.GetSection(AlertTargetOptions.Section));
        services.AddValidatedOptions<AlertRulesOptions>(configuration.GetSection(AlertRulesOptions.Section));
        services.AddValidatedOptions<UsageOptions>(configuration.GetSection(UsageOptions.Section));
        services.AddSingleton<UsageRecorder>();
        services.AddSingleton<UsageFlusher>().AddHostedService(sp => sp.GetRequiredService<UsageFlusher>());
        services.AddValidatedOptions<RejectedOptions>(configuration.GetSection(RejectedOptions.Section));
        services.AddSingleton<RejectedEventRecorder>();
        services.AddSingleton<TenantSettingsCache>();
        services.AddSingleton<RejectedEventFlusher>().AddHostedService(sp => sp.GetRequiredService<RejectedEventFlusher>());
        services.AddCompatSurfaces(configuration);
        services.AddDashboard();
        services.AddProblemDetails();
        services.AddExceptionHandler<RateLimitedHandler>();
        services.AddExceptionHandler<QueryTimeoutHandler>();
        services.AddExceptionHandler<ClusterFailureHandler>();
        return builder;
    }

    public static WebApplication MapTelemetryGateway(this WebApplication app)
    {
        var ports = app.Services.GetRequiredService<GatewayPorts>();
        app.MapTelemetryObservability(ports.Metrics);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetService<Microsoft.AspNetCore.Cors.Infrastructure.ICorsService>() is not null) app.UseCors();
        app.UseMiddleware<StartupGate>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapHealthApi();
        app.MapEventsApi();
        app.MapEventQueryApi();
        app.MapStreamApi();
        app.MapKeysApi();
        app.MapAlertsApi();
        app.MapUsageApi();
        app.MapRejectedApi();
        app.MapErasureApi();
        app.MapSettingsApi();
        app.MapCompatSurfaces(ports);
        app.MapDashboard();
        app.MapMetricsApi();
        return app;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }
}
