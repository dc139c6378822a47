namespace Telemetry.Tests.Faults;

/// <summary>
/// SIGTERM, as Kubernetes sends it, to a silo and then to a gateway under load: each exits cleanly
/// after finishing what it had in flight, the work moves to the others, and nothing is dropped.
/// </summary>
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigterm_to_a_silo_and_to_a_gateway_finishes_in_flight_batches_and_drops_nothing()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "sigterm", output);
        var silo = (await cluster.StartSilosAsync(2))[1];
        var (gateway, first) = await cluster.StartGatewayAsync("gateway-0");
        var (_, second) = await cluster.StartGatewayAsync("gateway-1");
        // A client that knows both gateways (as behind a load balancer) and takes the next one each attempt.
        var next = 0;
        Uri[] gateways = [first, second];
        await using var load = new RetryingLoad(() => gateways[(Interlocked.Increment(ref next) & int.MaxValue) % 2], RetryingLoad.Users("sigterm", 20));
        await cluster.AddTenantsAsync(load, "sigterm", 12);
        await load.StartAsync(workers: 6, batches: 60);

        var siloExit = await silo.TerminateAsync(TimeSpan.FromSeconds(60));
        Assert.True(siloExit == 0, $"the silo did not stop cleanly on SIGTERM (exit code {siloExit?.ToString() ?? "none: killed after 60 s"})");
        await load.WaitForBatchesAsync(load.Batches + 60);
        var afterSilo = load.Refusals.ToDictionary();

        var gatewayExit = await gateway.TerminateAsync(TimeSpan.FromSeconds(60));
        Assert.True(gatewayExit == 0, $"the gateway did not stop cleanly on SIGTERM (exit code {gatewayExit?.ToString() ?? "none: killed after 60 s"})");
        await load.WaitForBatchesAsync(load.Batches + 60);
        await load.StopAsync();
        output.WriteLine($"{load.Batches} batches, {load.Retries} retries, {load.Duplicates} duplicates; refusals after the silo's SIGTERM: {Describe(afterSilo)}; in all: {Describe(load.Refusals)}");

        // A stopping gateway lets its requests finish: it refuses none with 503 (a closed connection
        // to it is retried at the other gateway).
        Assert.Equal(afterSilo.GetValueOrDefault(503), load.Refusals.GetValueOrDefault(503));
        await NothingLost.AssertAsync(load, cluster.Database, second, TimeSpan.FromSeconds(30));
    }

    private static string Describe(IEnumerable<KeyValuePair<int, int>> refusals) =>
        string.Join(", ", refusals.Select(r => $"{(r.Key == 0 ? "connection" : r.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}×{r.Value}"));
}
