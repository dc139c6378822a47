namespace Telemetry.Tests.Security;

/// <summary>
/// Defence in depth behind the gateway's validation: events that reach the tenant's log although
/// PostgreSQL refuses them (appended to the grain directly, past every check) are refused alone, and
/// the valid events that share their group commit are stored, counted and acknowledged.
/// </summary>
public sealed class StorageRefusalTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    /// <summary>Rows that PostgreSQL refuses, each for another class of error.</summary>
    private static EventRecord Poisoned(int i, DateTimeOffset now) => (i % 4) switch
    {
        // 22003: the number overflows numeric inside jsonb.
        0 => Valid(now, properties: """{"n": 1e999999}"""),
        // 22021: text cannot hold NUL.
        1 => Valid(now) with { UserId = "nul\0user" },
        // 54000: an index row of the ticket filter is over btree's limit (random text does not compress).
        2 => Valid(now, properties: JsonSerializer.Serialize(new { ticket_id = RandomText(4000) })),
        // 22P02: not JSON at all.
        _ => Valid(now, properties: "{not json"),
    };

    private static EventRecord Valid(DateTimeOffset now, string properties = "{}", string type = "refusal_bystander") =>
        new(Guid.NewGuid(), type, Random.Shared.Next(2) == 0 ? EventStatus.Success : EventStatus.Failure, "bystander", null, null, now, now, Random.Shared.Next(1000), properties);

    private static string RandomText(int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ => (char)Random.Shared.Next('!', '~')));

    [Fact]
    public async Task Rows_that_PostgreSQL_refuses_are_refused_alone_and_their_group_commit_neighbours_are_stored_once()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("refusal");
        var log = Cluster.Cluster.GrainFactory.GetGrain<ITenantEventLogGrain>(tenant);
        var now = DateTimeOffset.UtcNow;

        // Concurrent single appends, so that bad and good rows share group commits, and mixed batches.
        var valid = Enumerable.Range(0, 160).Select(_ => Valid(now)).ToList();
        var poisoned = Enumerable.Range(0, 40).Select(i => Poisoned(i, now)).ToList();
        var singles = valid.Take(120).Select(e => (Record: e, Bad: false))
            .Concat(poisoned.Take(32).Select(e => (Record: e, Bad: true)))
            .OrderBy(_ => Random.Shared.Next()).ToList();
        var batches = Enumerable.Range(0, 8).Select(b => valid.Skip(120 + b * 5).Take(5).Select(e => (Record: e, Bad: false))
            .Append((Record: poisoned[32 + b], Bad: true)).OrderBy(_ => Random.Shared.Next()).ToArray()).ToList();

        var appends = singles.Select(s => new[] { s }).Concat(batches).ToList();
        var answers = await Task.WhenAll(appends.Select(async a => (Sent: a, Outcomes: await log.AppendAsync([.. a.Select(s => s.Record)]))));

        foreach (var (sent, outcomes) in answers)
        {
            for (var i = 0; i < sent.Length; i++)
            {
                Assert.Equal(sent[i].Record.Id, outcomes[i].Id);
                if (sent[i].Bad)
                {
                    var refusal = outcomes[i].Refused;
                    Assert.NotNull(refusal);
                    Assert.Equal("event", refusal.Field);
                    Assert.StartsWith("cannot be stored", refusal.Reason, StringComparison.Ordinal);
                    Assert.DoesNotContain("events", refusal.Reason, StringComparison.Ordinal); // no table or index names
                }
                else
                {
                    Assert.Null(outcomes[i].Refused);
                    Assert.False(outcomes[i].Duplicate);
                }
            }
        }

        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(valid.Count, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        Assert.Equal(valid.Count, await sql.CountAsync("SELECT count(*) FROM event_ids WHERE tenant_id = @t", ("t", tenant)));
        // Every stored event has a sequence number of its own, and the head passes every number handed
        // out: a refused event leaves a gap (its number was its commit's), so the head may be above the
        // highest stored one, never below it.
        Assert.Equal(valid.Count, await sql.CountAsync("SELECT count(DISTINCT seq) FROM events WHERE tenant_id = @t", ("t", tenant)));
        var handedOut = valid.Count + poisoned.Count;
        await Eventually.HoldsAsync(async () =>
        {
            var head = await sql.CountAsync("SELECT log_head FROM tenants WHERE tenant_id = @t", ("t", tenant));
            var highest = await sql.CountAsync("SELECT max(seq) FROM events WHERE tenant_id = @t", ("t", tenant));
            return head == handedOut && highest <= head ? null : $"head {head}, highest stored {highest}, numbers handed out {handedOut}";
        });

        // A retry of everything: the valid ones are duplicates, the poisoned ones refused again.
        var again = await log.AppendAsync([.. valid, .. poisoned]);
        Assert.All(again.Take(valid.Count), o => Assert.True(o.Duplicate && o.Refused is null));
        Assert.All(again.Skip(valid.Count), o => Assert.NotNull(o.Refused));
        Assert.Equal(valid.Count, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));

        using var client = Cluster.Gateways[0].CreateClient(key);
        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenant));
        await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenant, "bystander"));
    }
}
