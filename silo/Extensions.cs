using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Telemetry.Grains;
using Telemetry.Observability;
using Telemetry.Storage;

namespace Telemetry.Silo;

/// <summary>Wires a silo: the cluster on PostgreSQL, grain storage, and the services the grains use.</summary>
public static class Extensions
{
    /// <summary>The ADO.NET invariant of Npgsql, which Orleans loads by reflection.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    /// <summary>The ADO.NET grain storage provider, which the grains reach through <see cref="BoundedGrainStorage"/>.</summary>
    private const string AdoNetGrainStorageName = StorageNames.Grains + "-adonet";

    /// <summary>Joins the cluster of <c>TELEMETRY_DB</c> with ADO.NET clustering and listens on the configured ports.</summary>
    public static ISiloBuilder AddTelemetryCluster(this ISiloBuilder silo, IConfiguration configuration, SiloHostOptions host)
    {
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = host.ClusterId;
            o.ServiceId = host.ServiceId;
        });
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = configuration[DatabaseOptions.ConfigurationKey];
        });
        if (host.AdvertisedIp is { } ip)
        {
            silo.ConfigureEndpoints(IPAddress.Parse(ip), host.SiloPort, host.ClientPort, listenOnAnyHostAddress: true);
        }
        else
        {
            silo.ConfigureEndpoints(host.SiloPort, host.ClientPort, listenOnAnyHostAddress: true);
        }
        if (host.SiloName is { } name) silo.Configure<SiloOptions>(o => o.SiloName = name);
        // Orleans's defaults (5 s probes, 3 missed) take 15 s and more to declare a killed silo dead, and
        // until then its grains answer nobody; 2 s probes bring a tenant's metrics back within 10 s.
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 3;
            configuration.GetSection("Cluster:Membership").Bind(o);
        });
        // An idle grain leaves memory after CollectionAge (Orleans's 15 min); a user's grain saves its counts
        // first and replays from them when it comes back. Under memory pressure a silo can shed activations.
        silo.Configure<GrainCollectionOptions>(configuration.GetSection("Cluster:GrainCollection"));
        return silo;
    }

    /// <summary>Listens on the silo's own HTTP port (<see cref="SiloHostOptions.HttpPort"/>).</summary>
    public static WebApplicationBuilder AddSiloHttp(this WebApplicationBuilder builder, SiloHostOptions host)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(host.HttpPort));
        return builder;
    }

    /// <summary>Grain storage on PostgreSQL and everything the grains depend on.</summary>
    public static ISiloBuilder AddTelemetryGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        // HTTP request, grain calls and SQL join one trace.
        silo.AddActivityPropagation();
        silo.Services.AddTelemetryExceptionSerialization();
        // One ADO.NET provider; users' grains reach it through a queue (BoundedGrainStorage), tenants' grains
        // directly. The provider's name is not part of the rows it keys, so renaming it kept every stored state.
        silo.AddAdoNetGrainStorage(AdoNetGrainStorageName, o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = configuration[DatabaseOptions.ConfigurationKey];
            // A cleared state leaves no row: an erased user's grain key (tenant and user id) must not stay behind.
            o.DeleteStateOnClear = true;
        });
        // Orleans's own binary format: compact, and tolerant of added fields through the [Id]s.
        silo.Services.AddKeyedSingleton<IGrainStorageSerializer>(AdoNetGrainStorageName,
            (sp, _) => new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>()));
        silo.Services.AddValidatedOptions<GrainStorageOptions>(configuration.GetSection(GrainStorageOptions.Section));
        silo.Services.AddKeyedSingleton(StorageNames.Grains, (sp, _) => sp.GetRequiredKeyedService<IGrainStorage>(AdoNetGrainStorageName));
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.UserGrains, (sp, _) => new BoundedGrainStorage(
            sp.GetRequiredKeyedService<IGrainStorage>(AdoNetGrainStorageName), sp.GetRequiredService<IOptions<GrainStorageOptions>>()));
        silo.Services.AddTelemetryStorage(configuration);
        silo.Services.AddValidatedOptions<EventLogOptions>(configuration.GetSection(EventLogOptions.Section));
        silo.Services.AddValidatedOptions<UserLogReadOptions>(configuration.GetSection(UserLogReadOptions.Section));
        silo.Services.AddSingleton<UserLogBatchReader>();
        // The days come from TELEMETRY_RETENTION_DAYS, as the contract names it; the rest from the section.
        silo.Services.AddValidatedOptions<RetentionOptions>(configuration.GetSection(RetentionOptions.Section))
            .Configure(o => o.RetentionDays = configuration.GetValue<int?>(RetentionOptions.DaysKey) is > 0 and var days ? days : null);
        silo.Services.AddSingleton<EventPartitionMaintenance>();
        silo.Services.AddHostedService(sp => sp.GetRequiredService<EventPartitionMaintenance>());
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddValidatedOptions<AlertOptions>(configuration.GetSection(AlertOptions.Section));
        silo.Services.AddValidatedOptions<AlertTargetOptions>(configuration.GetSection(AlertTargetOptions.Section));
        silo.Services.AddSingleton<AlertDeliverySignal>();
        silo.Services.TryAddSingleton<AlertMetrics>();
        silo.Services.AddHttpClient(AlertWebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                // A redirect, or a proxy from HTTP_PROXY (which would connect in our place), would lead around the target policy.
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = AlertWebhookDispatcher.Connect(sp.GetRequiredService<IOptions<AlertTargetOptions>>().Value),
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });
        silo.Services.AddHostedService<AlertWebhookDispatcher>();
        silo.Services.AddValidatedOptions<ErasureOptions>(configuration.GetSection(ErasureOptions.Section));
        silo.Services.AddHostedService<UserErasureWorker>();
        // The event log counts into IngestMetrics also in silos without AddTelemetryObservability (the TestingHost's).
        silo.Services.AddMetrics();
        silo.Services.TryAddSingleton<IngestMetrics>();
        return silo;
    }
}
