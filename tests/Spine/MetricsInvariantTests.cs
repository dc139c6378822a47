using Orleans.Core.Internal;
using Orleans.Runtime.Placement;
using Orleans.Runtime;

namespace Telemetry.Tests.Spine;

/// <summary>The invariant: live metrics equal a SQL count over the stored events, for every window.</summary>
public sealed class MetricsInvariantTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Metrics_equal_sql_for_every_window_with_many_tenants_and_users_ingesting_in_parallel()
    {
        var tenants = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Cluster.CreateTenantAsync("inv")));
        var users = Enumerable.Range(0, 12).Select(i => $"user-{i}@example.edu").ToArray();
        var now = DateTimeOffset.UtcNow;

        // Each tenant gets batches and single events from several writers, through both gateways.
        await Task.WhenAll(tenants.SelectMany((tenant, t) => Enumerable.Range(0, 4).Select(async w =>
        {
            var factory = new EventFactory(seed: t * 100 + w);
            using var client = Cluster.Gateways[w % 2].CreateClient(tenant.Key);
            for (var b = 0; b < 5; b++)
            {
                var batch = new JsonArray([.. Enumerable.Range(0, 40).Select(_ => (JsonNode)factory.Next(users, now))]);
                using var response = await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = batch });
                Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
                using var single = await client.PostAsJsonAsync("v1/events", factory.Next(users, now));
                Assert.Equal(System.Net.HttpStatusCode.Created, single.StatusCode);
            }
        })));

        var sql = new SqlTruth(Cluster.Database);
        foreach (var (tenantId, key) in tenants)
        {
            Assert.Equal(4 * 5 * 41, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenantId)));
            using var reader = Cluster.Gateways[1].CreateClient(key);
            var comparison = new MetricsComparison(reader, sql);
            await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId));
            foreach (var user in users.Take(4)) await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, user));
        }
    }

    [Fact]
    public async Task Metrics_are_the_same_after_every_grain_deactivates_and_comes_back()
    {
        using var tenant = await ComparedTenant.StartAsync(Cluster, "deact", ["ana", "bo", "cy"], seed: 7);
        await tenant.PostAsync(300);
        await tenant.SettlesAsync();

        // Deactivate everything idle in the cluster: the log, the tenant's and the users' metrics grains.
        await Cluster.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var snapshots = await tenant.Sql.CountAsync(
            "SELECT count(*) FROM orleans_storage WHERE service_id = @s AND grain_id_extension LIKE @k AND payload IS NOT NULL",
            ("s", Cluster.Cluster.Options.ServiceId), ("k", tenant.Id + "/%"));
        Assert.Equal(tenant.Users.Length, snapshots);
        await tenant.EqualsSqlNowAsync();

        // And they keep counting after coming back.
        await tenant.PostAsync(50);
        await tenant.SettlesAsync();
    }

    /// <summary>
    /// Orleans migrates activations when a silo shuts down or rebalances; a migrated user's grain
    /// once came back with its log position but without its counts, and missed those events for good.
    /// </summary>
    [Fact]
    public async Task Metrics_are_the_same_after_every_grain_migrates_to_another_silo()
    {
        using var tenant = await ComparedTenant.StartAsync(Cluster, "migrate", ["ana", "bo", "cy", "di"], seed: 11);
        await tenant.PostAsync(300);
        await tenant.SettlesAsync();

        var grains = Cluster.Cluster.Client;
        IAddressable[] everyGrain =
        [
            grains.GetGrain<ITenantEventLogGrain>(tenant.Id),
            grains.GetGrain<ITenantMetricsGrain>(tenant.Id),
            .. tenant.Users.Select(user => grains.GetGrain<IUserMetricsGrain>(UserKey.Format(tenant.Id, user))),
        ];
        foreach (var grain in everyGrain) await MigrateAsync(grain);
        await tenant.EqualsSqlNowAsync();

        // And they keep counting where they landed.
        await tenant.PostAsync(50);
        await tenant.SettlesAsync();
    }

    /// <summary>Migrates the grain to another silo (named in the placement hint) and waits until it lives there.</summary>
    private async Task MigrateAsync(IAddressable grain)
    {
        var management = Cluster.Cluster.Client.GetGrain<IManagementGrain>(0);
        var before = await management.GetActivationAddress(grain);
        Assert.NotNull(before);
        var target = (await management.GetHosts(onlyActive: true)).Keys.First(silo => !silo.Equals(before));
        RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
        try
        {
            await grain.AsReference<IGrainManagementExtension>().MigrateOnIdle();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
        await Eventually.HoldsAsync(async () =>
            target.Equals(await management.GetActivationAddress(grain)) ? null : $"{grain} is not on {target} yet");
    }

    /// <summary>A new tenant whose users' events go in through one gateway, with its metrics compared with SQL.</summary>
    private sealed class ComparedTenant(string id, string[] users, HttpClient client, SqlTruth sql, int seed) : IDisposable
    {
        private readonly EventFactory _factory = new(seed);
        private readonly MetricsComparison _comparison = new(client, sql);

        public string Id => id;

        public string[] Users => users;

        public SqlTruth Sql => sql;

        public static async Task<ComparedTenant> StartAsync(TelemetryCluster cluster, string prefix, string[] users, int seed)
        {
            var (id, key) = await cluster.CreateTenantAsync(prefix);
            return new ComparedTenant(id, users, cluster.Gateways[0].CreateClient(key), new SqlTruth(cluster.Database), seed);
        }

        public async Task PostAsync(int events)
        {
            var batch = new JsonArray([.. Enumerable.Range(0, events).Select(_ => (JsonNode)_factory.Next(users, DateTimeOffset.UtcNow))]);
            (await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = batch })).EnsureSuccessStatusCode();
        }

        /// <summary>Waits until the tenant's and every user's metrics equal SQL.</summary>
        public async Task SettlesAsync()
        {
            await Eventually.HoldsAsync(() => _comparison.TenantDiffersAsync(id));
            foreach (var user in users) await Eventually.HoldsAsync(() => _comparison.UserDiffersAsync(id, user));
        }

        /// <summary>Asserts that they equal SQL now, without waiting.</summary>
        public async Task EqualsSqlNowAsync()
        {
            foreach (var user in users) Assert.Null(await _comparison.UserDiffersAsync(id, user));
            Assert.Null(await _comparison.TenantDiffersAsync(id));
        }

        public void Dispose() => client.Dispose();
    }
}
