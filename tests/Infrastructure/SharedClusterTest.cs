namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// A test class on the suite's shared cluster (<see cref="SharedCluster"/>): the cluster, and new tenants that come with
/// a client holding their admin key, disposed when the test ends.
/// </summary>
[Collection(SharedCluster.Name)]
public abstract class SharedClusterTest(ClusterFixture fixture) : IDisposable
{
    private readonly List<HttpClient> _clients = [];

    protected TelemetryCluster Cluster => fixture.Cluster;

    /// <summary>A new tenant, its admin key, and a client of <paramref name="gateway"/> (the first one unless named).</summary>
    protected async Task<(string TenantId, string Key, HttpClient Client)> NewTenantAsync(string prefix = "t", GatewayHost? gateway = null)
    {
        var (tenantId, key) = await Cluster.CreateTenantAsync(prefix);
        var client = (gateway ?? Cluster.Gateways[0]).CreateClient(key);
        lock (_clients) _clients.Add(client);
        return (tenantId, key, client);
    }

    public void Dispose()
    {
        foreach (var client in _clients) client.Dispose();
        GC.SuppressFinalize(this);
    }
}
