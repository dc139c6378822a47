namespace Telemetry.Tests.Spine;

/// <summary>
/// Scaling out and in as Kubernetes does it, with real processes on ADO.NET clustering: a third silo
/// joins a running cluster under load, takes grains, and leaves on SIGTERM; no acknowledged event and
/// no metric is lost.
/// </summary>
public sealed class MembershipTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_third_silo_joins_takes_grains_and_leaves_on_sigterm_without_losing_an_event_or_a_metric()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "member", output);
        await cluster.StartSilosAsync(2);
        var (gateway, address) = await cluster.StartGatewayAsync("gateway-0");
        var users = RetryingLoad.Users("member", 40);
        await using var load = new RetryingLoad(() => address, users);
        await cluster.AddTenantsAsync(load, "member", 8);
        await load.StartAsync(workers: 4, batches: 40);

        // Scale out: the new silo joins while events flow; tenants that start now get grains placed on it too.
        var third = await cluster.StartSiloAsync("silo-2");
        Assert.Equal(3, await cluster.ActiveSilosAsync());
        await cluster.AddTenantsAsync(load, "member", 24);
        var committedOnThird = await ProcessCluster.WaitForCommitsAsync(third);
        var batchesBefore = load.Batches;
        await load.WaitForBatchesAsync(batchesBefore + 40);

        // Scale in: SIGTERM, as Kubernetes sends it, while events still flow.
        var exitCode = await third.TerminateAsync(TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, $"the third silo did not stop cleanly on SIGTERM (exit code {exitCode?.ToString() ?? "none: killed after 60 s"})");
        await load.WaitForBatchesAsync(load.Batches + 40);
        await load.StopAsync();
        output.WriteLine($"{load.Batches} batches, {load.Retries} retries, refusals: {string.Join(", ", load.Refusals.Select(r => $"{r.Key}×{r.Value}"))}; the third silo committed {committedOnThird} events before it left");
        await Eventually.HoldsAsync(async () => await cluster.ActiveSilosAsync() == 2 ? null : "the third silo is still listed as active", TimeSpan.FromSeconds(30));

        await NothingLost.AssertAsync(load, cluster.Database, address, TimeSpan.FromSeconds(30));

        // The gateway counted every event it acknowledged as new, no more.
        using var scraper = new HttpClient();
        var scrape = await PrometheusScrape.GetAsync(scraper, ProcessCluster.MetricsAddress(gateway));
        Assert.Equal(load.Accepted, scrape.Sum("telemetry_events_accepted_total") ?? 0);
    }
}
