namespace Telemetry.Tests.Faults;

/// <summary>
/// PostgreSQL stopped under load for 10 s and started again: meanwhile ingest answers 503 with
/// Retry-After and acknowledges nothing; afterwards it recovers within 5 s without restarting any
/// process, and nothing acknowledged is lost. The test owns its PostgreSQL, since it stops it.
/// </summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_10_s_outage_answers_503_with_retry_after_loses_nothing_and_ingest_recovers_within_5_s()
    {
        await using var postgres = await PostgresServer.StartAsync(owned: true);
        await using var cluster = new ProcessCluster(postgres, "outage", output);
        var silos = await cluster.StartSilosAsync(2);
        var (gateway, address) = await cluster.StartGatewayAsync("gateway-0");
        await using var load = new RetryingLoad(() => address, RetryingLoad.Users("outage", 20));
        await cluster.AddTenantsAsync(load, "outage", 8);
        await load.StartAsync(workers: 4, batches: 40);

        await postgres.StopServerAsync();
        var stoppedAt = DateTime.UtcNow;
        var unavailableBefore = load.Refusals.GetValueOrDefault(503);
        await Task.Delay(Outage);
        var unavailableDuring = load.Refusals.GetValueOrDefault(503) - unavailableBefore;
        // A commit that was under way when the server went away may still be answered; none after.
        var acknowledgedDuring = load.AcknowledgedAfter(stoppedAt + TimeSpan.FromSeconds(1));

        await postgres.StartServerAsync();
        var backAt = DateTime.UtcNow;
        // The test's own pool still holds connections to the stopped server (the services find theirs broken by themselves).
        cluster.Database.Clear();
        await load.WaitForBatchesAsync(load.Batches + 40);
        await load.StopAsync();
        var firstBack = load.AcknowledgedAfter(backAt) - backAt;
        var twentyBack = load.AcknowledgedAfter(backAt, 20) - backAt;
        output.WriteLine($"{load.Batches} batches, {load.Retries} retries, refusals: {string.Join(", ", load.Refusals.Select(r => $"{r.Key}×{r.Value}"))}; {unavailableDuring} answers 503 during the outage; first batch acknowledged {firstBack?.TotalSeconds:F2} s after PostgreSQL returned, the 20th {twentyBack?.TotalSeconds:F2} s after");

        Assert.True(unavailableDuring > 0, "no 503 was answered while PostgreSQL was down");
        Assert.Equal(0, load.UnavailableWithoutRetryAfter);
        Assert.Null(acknowledgedDuring);
        Assert.True(twentyBack <= TimeSpan.FromSeconds(5), $"ingest took {twentyBack?.TotalSeconds:F2} s to acknowledge 20 batches after PostgreSQL returned (goal: 5 s)");
        Assert.All([.. silos, gateway], process => Assert.False(process.HasExited, $"{process.Name} exited during the outage"));
        await NothingLost.AssertAsync(load, cluster.Database, address, TimeSpan.FromSeconds(10));
    }
}
