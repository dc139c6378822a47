namespace Telemetry.Tests.Faults;

/// <summary>
/// <c>kill -9</c> of one of two silo processes under load from clients that retry with the same ids:
/// every acknowledged event is stored once, and the live metrics equal SQL within 10 s.
/// </summary>
public sealed class SiloCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_9_of_a_silo_under_load_loses_no_acknowledged_event_and_the_metrics_equal_sql_within_10_s()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "crash", output);
        var victim = (await cluster.StartSilosAsync(2))[1];
        var (_, address) = await cluster.StartGatewayAsync("gateway-0");
        await using var load = new RetryingLoad(() => address, RetryingLoad.Users("crash", 30));
        await cluster.AddTenantsAsync(load, "crash", 16);
        await load.StartAsync(workers: 6, batches: 60);
        // The kill must cost the victim something: wait until it holds event logs that have committed.
        var committedOnVictim = await ProcessCluster.WaitForCommitsAsync(victim);

        await victim.KillAsync();
        var batchesAtKill = load.Batches;
        await load.WaitForBatchesAsync(batchesAtKill + 80);
        await load.StopAsync();
        output.WriteLine($"{load.Batches} batches ({batchesAtKill} before the kill), {load.Retries} retries, {load.Duplicates} duplicates, refusals: {string.Join(", ", load.Refusals.Select(r => $"{r.Key}×{r.Value}"))}; the killed silo had committed {committedOnVictim} events");

        await NothingLost.AssertAsync(load, cluster.Database, address, TimeSpan.FromSeconds(10));
    }
}
