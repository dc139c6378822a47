using Npgsql;
using Orleans.TestingHost;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// A real cluster for tests: a TestingHost cluster of silos over TCP with ADO.NET clustering and
/// grain storage on the shared test PostgreSQL, and gateways in this process that reach it as the
/// production gateway does. Each cluster has its own cluster and service ids.
/// </summary>
public sealed class TelemetryCluster : IAsyncDisposable
{
    private readonly List<GatewayHost> _gateways = [];

    private TelemetryCluster(PostgresServer postgres, TestCluster cluster, NpgsqlDataSource database)
    {
        Postgres = postgres;
        Cluster = cluster;
        Database = database;
        Keys = new ApiKeyStore(database);
    }

    public PostgresServer Postgres { get; }

    public TestCluster Cluster { get; }

    public NpgsqlDataSource Database { get; }

    public ApiKeyStore Keys { get; }

    public IReadOnlyList<GatewayHost> Gateways => _gateways;

    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        [DatabaseOptions.ConfigurationKey] = Postgres.ConnectionString,
        ["TELEMETRY_CLUSTER_ID"] = Cluster.Options.ClusterId,
        ["TELEMETRY_SERVICE_ID"] = Cluster.Options.ServiceId,
        // The tests' webhook receivers listen on loopback.
        ["Alerts:AllowPrivateAddresses"] = "true",
        // Usage reaches PostgreSQL quickly enough for a test to read it back.
        ["Usage:FlushInterval"] = "00:00:00.200",
        ["Rejected:FlushInterval"] = "00:00:00.200",
    };

    public static async Task<TelemetryCluster> StartAsync(short silos = 2, int gateways = 1, IReadOnlyDictionary<string, string?>? siloSettings = null)
    {
        var postgres = await SharedPostgres.GetAsync();
        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Options.ConfigureFileLogging = false;
        builder.Properties[DatabaseOptions.ConfigurationKey] = postgres.ConnectionString;
        foreach (var (key, value) in siloSettings ?? new Dictionary<string, string?>()) builder.Properties[key] = value;
        builder.AddSiloBuilderConfigurator<TestSiloConfigurator>();
        builder.AddClientBuilderConfigurator<TestClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();

        var telemetry = new TelemetryCluster(postgres, cluster, NpgsqlDataSource.Create(postgres.ConnectionString));
        for (var i = 0; i < gateways; i++) await telemetry.StartGatewayAsync();
        return telemetry;
    }

    public async Task<GatewayHost> StartGatewayAsync(IReadOnlyDictionary<string, string?>? extra = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>(Settings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>()) settings[key] = value;
        var gateway = await GatewayHost.StartAsync(settings, services: services);
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>A new tenant with a unique id and its all-scopes key.</summary>
    public async Task<(string TenantId, string Key)> CreateTenantAsync(string prefix = "t")
    {
        var tenantId = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(40, prefix.Length + 33)];
        var created = await Keys.CreateTenantAsync(tenantId) ?? throw new InvalidOperationException("tenant exists");
        return (tenantId, created.Key);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
    }
}
