namespace Telemetry.Tests.Compat;

/// <summary>Seeds 002 and 004: the monitoring probes their operators already scrape.</summary>
public sealed class HealthProbesTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Database_health_liveness_and_readiness_answer_as_the_seeds_documented()
    {
        using var client = Cluster.Gateways[0].CreateClient();
        using (var database = await client.GetAsync(new Uri("api/health/database", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, database.StatusCode);
            var body = JsonDocument.Parse(await database.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("healthy", body.GetProperty("status").GetString());
            Assert.Equal("connected", body.GetProperty("database").GetString());
            Assert.InRange(body.GetProperty("latency_ms").GetDouble(), 0, 3000);
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("healthz/live", UriKind.Relative))).StatusCode);
        using var ready = await client.GetAsync(new Uri("healthz/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }
}
