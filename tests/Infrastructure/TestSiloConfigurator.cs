using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using Microsoft.Extensions.DependencyInjection;
using Telemetry.Silo;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// Silos of a test cluster wired as in production: ADO.NET clustering and grain storage on the test
/// PostgreSQL, and the same grain services (with 4 commits of a tenant in flight). Failure detection is shortened so that a killed silo is
/// declared dead in a few seconds instead of about fifteen.
/// </summary>
public sealed class TestSiloConfigurator : IHostConfigurator
{
    public void Configure(IHostBuilder hostBuilder) => hostBuilder.UseOrleans((context, silo) =>
    {
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Telemetry.Silo.Extensions.NpgsqlInvariant;
            o.ConnectionString = context.Configuration[DatabaseOptions.ConfigurationKey];
        });
        silo.AddTelemetryGrains(context.Configuration);
        // Several commits of a tenant in flight once 50 events wait, so that the in-process tests exercise that
        // path with small groups; the fault tests' silo processes run the defaults.
        silo.Services.PostConfigure<EventLogOptions>(o => (o.CommitsInFlight, o.MinEventsForAnotherCommit) = (4, 50));
        // Webhook receivers of the tests listen on loopback; their retries are quick so that giving up takes a second.
        silo.Services.PostConfigure<AlertTargetOptions>(o => o.AllowPrivateAddresses = true);
        silo.Services.PostConfigure<AlertOptions>(o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(100);
            o.WakeInterval = TimeSpan.FromSeconds(2);
            (o.MaxAttempts, o.RetryBaseDelay, o.RetryMaxDelay) = (3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        });
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
            o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        });
    });
}

/// <summary>The test cluster's own client, on ADO.NET clustering like the gateway's.</summary>
public sealed class TestClientConfigurator : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
        clientBuilder.UseAdoNetClustering(o =>
        {
            o.Invariant = Telemetry.Silo.Extensions.NpgsqlInvariant;
            o.ConnectionString = configuration[DatabaseOptions.ConfigurationKey];
        });
}
