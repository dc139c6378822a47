namespace Telemetry.Tests.Faults;

/// <summary>
/// The only gateway killed while clients stream batches through it, and started again on the same
/// port: clients that retry with the same ids lose nothing, and count nothing twice.
/// </summary>
public sealed class GatewayRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Clients_that_retry_lose_nothing_when_their_gateway_is_killed_and_restarted()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "restart", output);
        await cluster.StartSilosAsync(2);
        var (gateway, address) = await cluster.StartGatewayAsync("gateway-0");
        await using var load = new RetryingLoad(() => address, RetryingLoad.Users("restart", 20));
        await cluster.AddTenantsAsync(load, "restart", 8);
        await load.StartAsync(workers: 6, batches: 60);

        // kill -9: batches in flight may be committed without their answer reaching the client, whose
        // retry must then be recognised as a duplicate rather than stored or counted twice.
        await gateway.KillAsync();
        var batchesAtKill = load.Batches;
        await cluster.StartGatewayAsync("gateway-0-again", address.Port);
        await load.WaitForBatchesAsync(load.Batches + 60);
        await load.StopAsync();
        output.WriteLine($"{load.Batches} batches ({batchesAtKill} before the kill), {load.Retries} retries, {load.Duplicates} duplicates, refusals: {string.Join(", ", load.Refusals.Select(r => $"{r.Key}×{r.Value}"))}");

        Assert.True(load.Refusals.GetValueOrDefault(0) > 0, "no client noticed the gateway going away");
        await NothingLost.AssertAsync(load, cluster.Database, address, TimeSpan.FromSeconds(30));
    }
}
