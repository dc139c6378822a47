using System.Collections.Concurrent;
using Orleans.Runtime;

namespace Telemetry.Tests.Spine;

/// <summary>A silo killed in the middle of ingestion costs nothing that was acknowledged.</summary>
public sealed class SiloKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TelemetryCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Killing_a_silo_during_ingestion_loses_no_acknowledged_event_and_counts_none_twice()
    {
        const int batchesPerTenant = 25;
        const int eventsPerBatch = 20;
        var tenants = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _cluster.CreateTenantAsync("kill")));
        var users = Enumerable.Range(0, 6).Select(i => $"learner-{i}").ToArray();
        var acknowledged = new ConcurrentDictionary<string, ConcurrentBag<Guid>>();
        var sent = new ConcurrentDictionary<string, ConcurrentBag<Guid>>();
        var batchesDone = 0;
        var retries = 0;

        var writers = tenants.Select(async (tenant, t) =>
        {
            var factory = new EventFactory(seed: 1000 + t);
            using var client = _cluster.Gateways[0].CreateClient(tenant.Key);
            for (var b = 0; b < batchesPerTenant; b++)
            {
                var events = Enumerable.Range(0, eventsPerBatch).Select(_ => factory.Next(users, DateTimeOffset.UtcNow)).ToList();
                foreach (var e in events) sent.GetOrAdd(tenant.TenantId, _ => []).Add(Guid.Parse(e["id"]!.GetValue<string>()));
                var body = new JsonObject { ["events"] = new JsonArray([.. events]) }.ToJsonString();

                // Like a well-behaved client: retry the same ids until acknowledged.
                while (true)
                {
                    try
                    {
                        using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
                        if (response.IsSuccessStatusCode)
                        {
                            using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                            foreach (var item in result.RootElement.GetProperty("results").EnumerateArray())
                            {
                                Assert.NotEqual("rejected", item.GetProperty("status").GetString());
                                acknowledged.GetOrAdd(tenant.TenantId, _ => []).Add(item.GetProperty("id").GetGuid());
                            }
                            break;
                        }
                        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    }
                    catch (HttpRequestException)
                    {
                        // The connection failed: retry.
                    }
                    Interlocked.Increment(ref retries);
                    await Task.Delay(200);
                }
                Interlocked.Increment(ref batchesDone);
            }
        }).ToList();

        // Once ingestion is well under way, kill the silo that hosts the most tenant event logs.
        while (Volatile.Read(ref batchesDone) < tenants.Length * batchesPerTenant / 4) await Task.Delay(20);
        var logs = (await _cluster.Cluster.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics())
            .Where(l => l.GrainId.Type.ToString()!.Contains("eventlog", StringComparison.OrdinalIgnoreCase)).ToList();
        var victim = _cluster.Cluster.Silos
            .OrderByDescending(s => logs.Count(l => l.SiloAddress.Equals(s.SiloAddress)))
            .First();
        var logsOnVictim = logs.Count(l => l.SiloAddress.Equals(victim.SiloAddress));
        var doneAtKill = Volatile.Read(ref batchesDone);
        await _cluster.Cluster.KillSiloAsync(victim);
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromMinutes(3));
        output.WriteLine($"killed {victim.SiloAddress} hosting {logsOnVictim} event logs after {doneAtKill} of {tenants.Length * batchesPerTenant} batches; {retries} retries");
        Assert.True(logsOnVictim > 0);
        Assert.True(doneAtKill < tenants.Length * batchesPerTenant);

        var sql = new SqlTruth(_cluster.Database);
        foreach (var (tenantId, key) in tenants)
        {
            var ids = acknowledged[tenantId].Distinct().ToArray();
            Assert.Equal(batchesPerTenant * eventsPerBatch, ids.Length);
            Assert.Equal(sent[tenantId].Distinct().Order(), ids.Order());
            Assert.Equal(ids.Length, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = ANY(@ids)", ("t", tenantId), ("ids", ids)));
            Assert.Equal(ids.Length, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenantId)));

            using var client = _cluster.Gateways[0].CreateClient(key);
            var comparison = new MetricsComparison(client, sql);
            await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId), TimeSpan.FromSeconds(30));
            foreach (var user in users) await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, user), TimeSpan.FromSeconds(30));
        }
    }
}
