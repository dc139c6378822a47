namespace Telemetry.Tests.Gateway;

/// <summary>A gateway whose PostgreSQL and cluster do not answer says so, and refuses work with 503.</summary>
public sealed class HealthWithoutBackendsTests
{
    [Fact]
    public async Task Health_and_readiness_answer_503_naming_the_failed_checks_while_liveness_answers_200()
    {
        var closedPort = LoopbackPort.Free();
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Timeout=2",
            ["TELEMETRY_CLUSTER_ID"] = "nobody-" + Guid.NewGuid().ToString("N"),
        }, waitUntilReady: false);
        using var client = gateway.CreateClient();

        using var live = await client.GetAsync(new Uri("health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);

        using (var ingest = await client.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("{\"type\": \"a\"}")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ingest.StatusCode);
            Assert.NotNull(ingest.Headers.RetryAfter);
        }

        using (var database = await client.GetAsync(new Uri("api/health/database", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, database.StatusCode);
            Assert.Equal("disconnected", JsonDocument.Parse(await database.Content.ReadAsStringAsync()).RootElement.GetProperty("database").GetString());
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("healthz/live", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri("healthz/ready", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync(new Uri("ready", UriKind.Relative))).StatusCode);

        foreach (var path in new[] { "health", "health/ready" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("unavailable", body.RootElement.GetProperty("status").GetString());
            var failed = body.RootElement.GetProperty("failed").EnumerateArray().Select(f => f.GetString()).ToList();
            Assert.Contains("database", failed);
            Assert.Contains("cluster", failed);
        }
    }
}
