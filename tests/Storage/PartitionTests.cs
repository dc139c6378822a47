using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Telemetry.Silo;

namespace Telemetry.Tests.Storage;

/// <summary>Weekly partitions by time of receipt: a retry in a later week is still a duplicate; retention drops whole weeks.</summary>
public sealed class PartitionTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    private static EventRecord Event(Guid id, DateTimeOffset receivedAt, string type = "boundary") =>
        new(id, type, EventStatus.Success, "crosser", null, null, receivedAt.AddMinutes(-1), receivedAt, 1, "{}");

    [Fact]
    public async Task A_retry_that_arrives_in_the_next_weeks_partition_is_a_duplicate()
    {
        var (tenantId, _) = await Cluster.CreateTenantAsync("weeks");
        var log = Cluster.Cluster.Client.GetGrain<ITenantEventLogGrain>(tenantId);
        var id = Guid.NewGuid();
        // The last second of a week (Sunday, UTC), and the first of the next: two partitions, made on demand.
        var sunday = new DateTimeOffset(2024, 3, 10, 23, 59, 59, TimeSpan.Zero);
        var monday = new DateTimeOffset(2024, 3, 11, 0, 0, 1, TimeSpan.Zero);

        var first = await log.AppendAsync([Event(id, sunday)]);
        var retry = await log.AppendAsync([Event(id, monday), Event(Guid.NewGuid(), monday, "other")]);

        Assert.False(first[0].Duplicate);
        Assert.True(retry[0].Duplicate);
        Assert.Equal(sunday, retry[0].ReceivedAt);
        Assert.False(retry[1].Duplicate);
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(1, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = @id", ("t", tenantId), ("id", id)));
        Assert.Equal(1, await sql.CountAsync("SELECT count(*) FROM events_2024_03_04 WHERE tenant_id = @t", ("t", tenantId)));
        Assert.Equal(1, await sql.CountAsync("SELECT count(*) FROM events_2024_03_11 WHERE tenant_id = @t", ("t", tenantId)));

        var stored = await new EventQueryStore(Cluster.Database).GetAsync(tenantId, id);
        Assert.Equal(sunday, stored!.ReceivedAt);
        var page = await new EventQueryStore(Cluster.Database).ListAsync(tenantId, new EventFilter(), 10, null);
        Assert.Equal(2, page.Events.Count);
    }

    [Fact]
    public async Task Retention_drops_whole_weeks_past_the_cutoff_and_their_ids_and_nothing_newer()
    {
        var (tenantId, _) = await Cluster.CreateTenantAsync("retention");
        var log = Cluster.Cluster.Client.GetGrain<ITenantEventLogGrain>(tenantId);
        var old = new DateTimeOffset(2001, 1, 3, 12, 0, 0, TimeSpan.Zero);   // week of Monday 2001-01-01
        var kept = new DateTimeOffset(2001, 1, 10, 12, 0, 0, TimeSpan.Zero); // week of Monday 2001-01-08
        var oldId = Guid.NewGuid();
        await log.AppendAsync([Event(oldId, old), Event(Guid.NewGuid(), kept)]);

        // "Now" is 2001-01-16 with a retention of 7 days: the cutoff is 2001-01-09, which only the first week ends before.
        var partitions = new EventPartitionStore(Cluster.Database);
        var maintenance = new EventPartitionMaintenance(partitions, new UsageStore(Cluster.Database), new UserErasureStore(Cluster.Database), Options.Create(new RetentionOptions { RetentionDays = 7 }),
            new FixedClock(new DateTimeOffset(2001, 1, 16, 0, 0, 0, TimeSpan.Zero)), NullLogger<EventPartitionMaintenance>.Instance);
        var dropped = await maintenance.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["events_2001_01_01"], dropped);
        var names = await partitions.ListAsync();
        Assert.DoesNotContain("events_2001_01_01", names);
        Assert.Contains("events_2001_01_08", names);
        Assert.Contains("events_2001_01_15", names);
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(1, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenantId)));
        Assert.Equal(0, await sql.CountAsync("SELECT count(*) FROM event_ids WHERE tenant_id = @t AND event_id = @id", ("t", tenantId), ("id", oldId)));
        Assert.Equal(1, await sql.CountAsync("SELECT count(*) FROM event_ids WHERE tenant_id = @t", ("t", tenantId)));
        Assert.Empty(await maintenance.RunOnceAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Usage_and_erasure_records_are_kept_for_their_own_days()
    {
        var (tenantId, _) = await Cluster.CreateTenantAsync("records");
        var at = (int day) => new DateTimeOffset(2001, 1, day, 0, 0, 0, TimeSpan.Zero);
        await using (var seed = Cluster.Database.CreateCommand("""
            INSERT INTO usage_hourly (tenant_id, hour, surface, kind, amount) VALUES (@t, @old, 'native', 'accepted', 1), (@t, @new, 'native', 'accepted', 2);
            INSERT INTO erasures (erasure_id, tenant_id, user_id, requested_by, forget_ids, up_to_seq, status, requested_at, finished_at)
            VALUES (gen_random_uuid(), @t, 'old', gen_random_uuid(), false, 0, 'done', @old, @old),
                   (gen_random_uuid(), @t, 'new', gen_random_uuid(), false, 0, 'done', @new, @new),
                   (gen_random_uuid(), @t, 'open', gen_random_uuid(), false, 0, 'failed', @new, NULL);
            """))
        {
            seed.Parameters.AddWithValue("t", tenantId);
            seed.Parameters.AddWithValue("old", at(1));
            seed.Parameters.AddWithValue("new", at(12));
            await seed.ExecuteNonQueryAsync();
        }

        // "Now" is 2001-01-16; usage kept 10 days (from 2001-01-06), erasure records 5 days (from 2001-01-11).
        var maintenance = new EventPartitionMaintenance(new EventPartitionStore(Cluster.Database), new UsageStore(Cluster.Database), new UserErasureStore(Cluster.Database),
            Options.Create(new RetentionOptions { UsageDays = 10, ErasureAuditDays = 5 }), new FixedClock(at(16)), NullLogger<EventPartitionMaintenance>.Instance);
        await maintenance.RunOnceAsync(CancellationToken.None);

        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(2, await sql.CountAsync("SELECT coalesce(sum(amount), 0) FROM usage_hourly WHERE tenant_id = @t", ("t", tenantId)));
        Assert.Equal(0, await sql.CountAsync("SELECT count(*) FROM erasures WHERE tenant_id = @t AND user_id = 'old'", ("t", tenantId)));
        Assert.Equal(2, await sql.CountAsync("SELECT count(*) FROM erasures WHERE tenant_id = @t", ("t", tenantId)));
    }

    /// <summary>A clock stopped at one instant.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
