using Npgsql;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// A cluster of silos and gateways each in its own process, started through <c>./telemetry</c> on
/// the shared PostgreSQL with a cluster id of its own and free ports; their output goes to the test's
/// log when it is disposed.
/// </summary>
public sealed class ProcessCluster(PostgresServer postgres, string prefix, ITestOutputHelper output) : IAsyncDisposable
{
    private readonly List<ServiceProcess> _processes = [];

    public string ClusterId { get; } = prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    public NpgsqlDataSource Database { get; } = NpgsqlDataSource.Create(postgres.ConnectionString);

    /// <summary>Starts a silo process and waits until it answers ready (an active member, PostgreSQL reachable).</summary>
    public async Task<ServiceProcess> StartSiloAsync(string name)
    {
        var silo = Start("silo", name, new Dictionary<string, string?>
        {
            ["TELEMETRY_SILO_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_CLIENT_PORT"] = LoopbackPort.FreeSetting(),
        });
        await WaitReadyAsync(silo, SiloAddress(silo));
        return silo;
    }

    /// <summary>Starts silos <c>silo-0</c> to <c>silo-{count-1}</c> one after the other (the first one founds the membership).</summary>
    public async Task<ServiceProcess[]> StartSilosAsync(int count)
    {
        var silos = new ServiceProcess[count];
        for (var i = 0; i < count; i++) silos[i] = await StartSiloAsync($"silo-{i}");
        return silos;
    }

    /// <summary>
    /// Starts a gateway process (on <paramref name="port"/>, to restart one where its clients
    /// expect it; <paramref name="settings"/> as environment, e.g. <c>RateLimit__EventsPerSecond</c>)
    /// and waits until it answers ready; answers its base address.
    /// </summary>
    public async Task<(ServiceProcess Process, Uri Address)> StartGatewayAsync(string name, int? port = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var httpPort = port?.ToString(CultureInfo.InvariantCulture) ?? LoopbackPort.FreeSetting();
        var environment = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["TELEMETRY_HTTP_PORT"] = httpPort };
        var gateway = Start("gateway", name, environment);
        var address = new Uri($"http://127.0.0.1:{httpPort}/");
        await WaitReadyAsync(gateway, address);
        return (gateway, address);
    }

    /// <summary>The silo's own HTTP port: probes, <c>/metrics</c>, the Orleans dashboard.</summary>
    public static Uri SiloAddress(ServiceProcess silo) => new($"http://127.0.0.1:{silo.Port("TELEMETRY_SILO_HTTP_PORT")}/");

    /// <summary>
    /// Waits until a silo has committed events (its own <c>/metrics</c> says so: it holds event logs)
    /// and answers how many; fails after 30 s.
    /// </summary>
    public static async Task<double> WaitForCommitsAsync(ServiceProcess silo)
    {
        using var scraper = new HttpClient();
        var committed = 0.0;
        await Eventually.HoldsAsync(async () =>
        {
            committed = (await PrometheusScrape.GetAsync(scraper, SiloAddress(silo))).Sum("telemetry_log_committed_total") ?? 0;
            return committed > 0 ? null : $"{silo.Name} has committed no event yet";
        }, TimeSpan.FromSeconds(30));
        return committed;
    }

    /// <summary>A gateway process's Prometheus port.</summary>
    public static Uri MetricsAddress(ServiceProcess gateway) => new($"http://127.0.0.1:{gateway.Port("TELEMETRY_METRICS_PORT")}/");

    /// <summary>Creates <paramref name="count"/> tenants named after <paramref name="prefix"/> and gives them to <paramref name="load"/>.</summary>
    public async Task AddTenantsAsync(RetryingLoad load, string prefix, int count)
    {
        var keys = new ApiKeyStore(Database);
        for (var i = 0; i < count; i++)
        {
            var created = await keys.CreateTenantAsync(prefix + "-" + Guid.NewGuid().ToString("N")[..10]);
            load.AddTenant(created!.TenantId, created.Key);
        }
    }

    /// <summary>Silos of this cluster marked active in the membership table.</summary>
    public Task<long> ActiveSilosAsync() => new SqlTruth(Database).CountAsync(
        "SELECT count(*) FROM orleans_membership WHERE deployment_id = @c AND status = 3", ("c", ClusterId));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            output.WriteLine($"--- {process.Name} (exited: {process.HasExited})\n{process.Output}");
            await process.DisposeAsync();
        }
        await Database.DisposeAsync();
    }

    private ServiceProcess Start(string command, string name, Dictionary<string, string?> settings)
    {
        settings[DatabaseOptions.ConfigurationKey] = postgres.ConnectionString;
        settings["TELEMETRY_CLUSTER_ID"] = ClusterId;
        settings["TELEMETRY_SERVICE_ID"] = ClusterId;
        settings["TELEMETRY_ADVERTISED_IP"] = "127.0.0.1";
        var process = ServiceProcess.Start(command, name, settings);
        _processes.Add(process);
        return process;
    }

    private static async Task WaitReadyAsync(ServiceProcess process, Uri address)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.HoldsAsync(async () =>
        {
            if (process.HasExited) return $"{process.Name} exited:\n{process.Output}";
            try
            {
                using var ready = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
                return ready.StatusCode == HttpStatusCode.OK ? null : $"{process.Name} answers {(int)ready.StatusCode}: {await ready.Content.ReadAsStringAsync()}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return $"{process.Name}: {ex.Message}";
            }
        }, TimeSpan.FromSeconds(90));
    }

}
