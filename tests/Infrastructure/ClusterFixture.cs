namespace Telemetry.Tests.Infrastructure;

/// <summary>A two-silo cluster with two gateways, shared by the tests of <see cref="SharedCluster"/>.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private TelemetryCluster? _cluster;

    public TelemetryCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 2);

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
