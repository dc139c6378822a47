using Microsoft.Extensions.Logging.Abstractions;

namespace Telemetry.Tests.Spine;

/// <summary>
/// The narrow window of a crash: events committed whose hand-off to the metrics grains never happened,
/// while those grains live on. The next activation of the tenant's log must replay them, and a stale
/// writer must be fenced off without storing anything.
/// </summary>
public sealed class LostHandOffTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Events_committed_by_a_writer_that_died_before_handing_them_off_are_counted_once_the_log_comes_back()
    {
        var (tenantId, key) = await Cluster.CreateTenantAsync("lost");
        var users = new[] { "u1", "u2" };
        var factory = new EventFactory(seed: 42);
        using var client = Cluster.Gateways[0].CreateClient(key);
        var first = new JsonArray([.. Enumerable.Range(0, 30).Select(_ => (JsonNode)factory.Next(users, DateTimeOffset.UtcNow))]);
        (await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = first })).EnsureSuccessStatusCode();
        var sql = new SqlTruth(Cluster.Database);
        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId));
        foreach (var user in users) await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, user));

        // A writer claims the log, commits events and dies before moving the head over them (so before
        // counting them in the rollups and handing them to the metrics grains).
        var claim = (await new EventLogHeadStore(Cluster.Database).ClaimAsync(tenantId, TimeSpan.FromSeconds(10)))!;
        var now = DateTimeOffset.UtcNow;
        var orphans = Enumerable.Range(0, 10).Select(i => new EventRecord(
            Guid.NewGuid(), "orphan", EventStatus.Failure, users[i % 2], null, null, now, now, 5, "{}")).ToList();
        var written = await new EventBatchWriter(Cluster.Database).AppendAsync(tenantId, claim.Epoch, claim.HighestSeq + 1, orphans);
        Assert.True(written.Claimed);
        Assert.Equal(10, written.InsertedSeqs.Count);
        Assert.NotNull(await comparison.TenantDiffersAsync(tenantId));

        // The live log activation is now stale: its next commit is fenced off, stores nothing, and it steps down.
        // The new activation finds the orphans above the head: it counts them and hands them on.
        var late = factory.Next(users, DateTimeOffset.UtcNow);
        using (var refused = await client.PostAsJsonAsync("v1/events", late))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(refused.Headers.RetryAfter is not null);
        }
        Assert.Equal(0, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = @id",
            ("t", tenantId), ("id", Guid.Parse(late["id"]!.GetValue<string>()))));

        // The client retries; the new activation replays what was never handed off.
        await Eventually.HoldsAsync(async () =>
        {
            using var retried = await client.PostAsJsonAsync("v1/events", late);
            return retried.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK ? null : $"retry answered {retried.StatusCode}";
        });
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId));
        foreach (var user in users) await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, user));
    }
}
