using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Spine;

/// <summary>
/// Two silos and two gateways as separate processes started with <c>./telemetry silo</c> and
/// <c>./telemetry gateway</c>: one cluster.
/// </summary>
public sealed class SeparateProcessesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_event_posted_to_one_gateway_shows_in_the_metrics_read_from_the_other()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "proc", output);
        var silos = await cluster.StartSilosAsync(2);
        Assert.Equal(2, await cluster.ActiveSilosAsync());
        var (firstGateway, firstAddress) = await cluster.StartGatewayAsync("gateway-0");
        var (secondGateway, secondAddress) = await cluster.StartGatewayAsync("gateway-1");

        var created = await new ApiKeyStore(cluster.Database).CreateTenantAsync("proc-" + Guid.NewGuid().ToString("N")[..10]);
        using var first = new HttpClient { BaseAddress = firstAddress };
        using var second = new HttpClient { BaseAddress = secondAddress };
        first.DefaultRequestHeaders.Authorization = new("Bearer", created!.Key);
        second.DefaultRequestHeaders.Authorization = new("Bearer", created.Key);
        using (var posted = await first.PostAsync(new Uri("v1/events", UriKind.Relative),
            IngestValidationTests.Json("""{"type": "crossed", "status": "success", "user_id": "walker", "duration_ms": 42}""")))
        {
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        }

        await Eventually.HoldsAsync(async () =>
        {
            using var overview = JsonDocument.Parse(await second.GetStringAsync(new Uri("v1/metrics/overview?window=15m", UriKind.Relative)));
            using var user = await second.GetAsync(new Uri("v1/users/walker/metrics?window=15m", UriKind.Relative));
            return overview.RootElement.GetProperty("total").GetInt64() == 1 && overview.RootElement.GetProperty("avg_duration_ms").GetDouble() == 42
                && user.StatusCode == HttpStatusCode.OK
                ? null : $"overview {overview.RootElement}, user {(int)user.StatusCode}";
        });

        ServiceProcess[] processes = [firstGateway, secondGateway, .. silos];
        foreach (var process in processes)
        {
            Assert.True(await process.TerminateAsync(TimeSpan.FromSeconds(30)) == 0, $"{process.Name} did not stop cleanly on SIGTERM");
        }
    }
}
