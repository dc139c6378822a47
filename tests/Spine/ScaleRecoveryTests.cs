namespace Telemetry.Tests.Spine;

/// <summary>
/// The bench's scale run made small enough for the suite: three silo processes and two gateway
/// processes, many tenants and thousands of users, then <c>kill -9</c> of the silo holding the most
/// activations. Every tenant answers its metrics again within 30 s, nothing acknowledged is lost or
/// stored twice, no process runs out of connections, and the metrics equal SQL.
/// </summary>
public sealed class ScaleRecoveryTests(ITestOutputHelper output)
{
    private const int Tenants = 48;
    private const int Users = 4_000;

    [Fact]
    public async Task Kill_9_of_the_busiest_of_three_silos_under_many_tenants_and_users_recovers_within_30_s_and_loses_nothing()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "scale", output);
        var silos = await cluster.StartSilosAsync(3);
        var gateways = new List<Uri>();
        var gatewayProcesses = new List<ServiceProcess>();
        for (var i = 0; i < 2; i++)
        {
            var (process, address) = await cluster.StartGatewayAsync($"gateway-{i}");
            gatewayProcesses.Add(process);
            gateways.Add(address);
        }

        var turn = 0;
        await using var load = new RetryingLoad(() => gateways[Interlocked.Increment(ref turn) % gateways.Count], RetryingLoad.Users("scale-learner", Users), eventsPerBatch: 50);
        await cluster.AddTenantsAsync(load, "scale", Tenants);
        await load.StartAsync(workers: 8, batches: Tenants * 3);

        using var scraper = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var activations = new List<double>();
        foreach (var silo in silos) activations.Add((await PrometheusScrape.GetAsync(scraper, ProcessCluster.SiloAddress(silo))).Sum("orleans_catalog_activations") ?? 0);
        var victim = silos[activations.IndexOf(activations.Max())];
        Assert.True(activations.Max() > 0, "no silo reports activations");

        await victim.KillAsync();
        var killed = Stopwatch.StartNew();
        var batchesAtKill = load.Batches;
        var recovered = await EveryTenantAnswersAsync(load, gateways, TimeSpan.FromSeconds(60));
        await load.WaitForBatchesAsync(batchesAtKill + Tenants * 2);
        await load.StopAsync();
        output.WriteLine($"activations per silo at the kill: {string.Join(", ", activations)}; every tenant answered {recovered.TotalSeconds:F1} s after the kill; " +
            $"{load.Batches} batches ({batchesAtKill} before the kill), {load.Retries} retries, refusals: {string.Join(", ", load.Refusals.Select(r => $"{r.Key}×{r.Value}"))}");

        Assert.True(recovered < TimeSpan.FromSeconds(30), $"the tenants' metrics answered again only {recovered.TotalSeconds:F1} s after the kill");
        Assert.All(silos.Concat(gatewayProcesses), p => Assert.Equal(0, p.PoolExhaustions));
        await NothingLost.AssertAsync(load, cluster.Database, gateways[0], TimeSpan.FromSeconds(30));
    }

    /// <summary>How long until every tenant's metrics read (from its grain: the whole window) answers 200 through both gateways.</summary>
    private static async Task<TimeSpan> EveryTenantAnswersAsync(RetryingLoad load, List<Uri> gateways, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        while (clock.Elapsed < within)
        {
            var answers = await Task.WhenAll(load.Tenants.Select(async (tenant, i) =>
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateways[i % gateways.Count], "v1/metrics/overview?window=all"));
                    request.Headers.Authorization = new("Bearer", load.Key(tenant));
                    using var response = await client.SendAsync(request);
                    return response.StatusCode == HttpStatusCode.OK;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            }));
            if (answers.All(a => a)) return clock.Elapsed;
            await Task.Delay(250);
        }
        return clock.Elapsed;
    }
}
