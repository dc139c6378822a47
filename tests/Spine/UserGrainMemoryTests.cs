using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Telemetry.Tests.Spine;

/// <summary>
/// What active user grains cost a silo, measured on a silo process of its own (nothing else in it)
/// as the growth of its managed heap after a full collection while thousands of users with a typical
/// week are activated (each replaying its week from the events table, as a user's grain does when it
/// comes back).
/// </summary>
public sealed class UserGrainMemoryTests(ITestOutputHelper output)
{
    private const int Users = 8_000;

    /// <summary>Users active when the first measure is taken (after 500 that warm the silo up).</summary>
    private const int Baseline = 2_000;

    /// <summary>Users activated between the two measures.</summary>
    private const int Measured = Users - Baseline;

    [Fact]
    public async Task An_active_users_grain_with_a_typical_week_costs_a_few_kilobytes_of_a_silo()
    {
        var postgres = await SharedPostgres.GetAsync();
        var cluster = "mem-" + Guid.NewGuid().ToString("N")[..10];
        var settings = new Dictionary<string, string?>
        {
            [DatabaseOptions.ConfigurationKey] = postgres.ConnectionString,
            ["TELEMETRY_CLUSTER_ID"] = cluster,
            ["TELEMETRY_SERVICE_ID"] = cluster,
            ["TELEMETRY_ADVERTISED_IP"] = "127.0.0.1",
            ["TELEMETRY_SILO_PORT"] = LoopbackPort.FreeSetting(),
            ["TELEMETRY_CLIENT_PORT"] = LoopbackPort.FreeSetting(),
        };
        await using var silo = ServiceProcess.Start("silo", "memory-silo", settings);

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning" });
        builder.UseOrleansClient(client => client
            .Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster, cluster))
            .UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = ("Npgsql", postgres.ConnectionString)));
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var grains = host.Services.GetRequiredService<IClusterClient>();

        var (tenantId, _) = await new TelemetryTenants(postgres).CreateAsync("mem");
        // A typical learner: 60 events in 6 sessions over the past week, in 5 categories, stored as the log stores them.
        var random = new Random(5);
        var now = DateTimeOffset.UtcNow;
        string[] types = ["lesson_started", "lesson_completed", "hint_shown", "quiz_submitted", "tutor_query"];
        await using (var database = Npgsql.NpgsqlDataSource.Create(postgres.ConnectionString))
        await using (var connection = await database.OpenConnectionAsync())
        {
            for (var week = now.AddDays(-8); week <= now.AddDays(7); week = week.AddDays(7))
            {
                await using var ensure = new Npgsql.NpgsqlCommand("SELECT telemetry_ensure_event_partition(@at)", connection);
                ensure.Parameters.AddWithValue("at", week.UtcDateTime);
                await ensure.ExecuteScalarAsync();
            }
            long seq = 0;
            await using (var copy = await connection.BeginBinaryImportAsync("COPY events (tenant_id, event_id, seq, type, status, user_id, occurred_at, received_at, duration_ms) FROM STDIN (FORMAT BINARY)"))
            {
                for (var u = 0; u < Users + 500; u++)
                {
                    for (var session = 0; session < 6; session++)
                    {
                        var start = now.AddMinutes(-random.Next(0, 7 * 24 * 60));
                        for (var i = 0; i < 10; i++)
                        {
                            await copy.StartRowAsync();
                            await copy.WriteAsync(tenantId);
                            await copy.WriteAsync(Guid.NewGuid());
                            await copy.WriteAsync(++seq);
                            await copy.WriteAsync(types[random.Next(types.Length)]);
                            await copy.WriteAsync("success");
                            await copy.WriteAsync($"learner-{u}");
                            await copy.WriteAsync(start.AddSeconds(i * 20).UtcDateTime, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                            await copy.WriteAsync(now.UtcDateTime, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                            await copy.WriteAsync(100.0);
                        }
                    }
                }
                await copy.CompleteAsync();
            }
            await using var head = new Npgsql.NpgsqlCommand("UPDATE tenants SET log_head = @h WHERE tenant_id = @t", connection);
            head.Parameters.AddWithValue("h", seq);
            head.Parameters.AddWithValue("t", tenantId);
            await head.ExecuteNonQueryAsync();
        }

        async Task ActivateAsync(int from, int count)
        {
            for (var start = from; start < from + count; start += 200)
            {
                await Task.WhenAll(Enumerable.Range(start, Math.Min(200, from + count - start)).Select(u =>
                    grains.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, $"learner-{u}")).GetAsync(MetricsWindow.OneDay)));
            }
        }

        // Resident memory moves by whole GC regions and with the allocation budget of the moment (6.6
        // to 11.2 kB a user in ten runs), so the figure is the managed heap right after a full
        // collection in the silo, which holds every grain; resident memory is reported beside it.
        var management = grains.GetGrain<IManagementGrain>(0);
        var silos = (await management.GetHosts(onlyActive: true)).Keys.ToArray();
        using var scraper = new HttpClient();
        async Task<(double HeapBytes, double WithFreeBytes, long ResidentKiB)> SettledAsync()
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await management.ForceGarbageCollection(silos);
            var scrape = await PrometheusScrape.GetAsync(scraper, ProcessCluster.SiloAddress(silo));
            var heap = scrape.Sum(HeapAfterCollection);
            var free = scrape.Sum(FragmentationAfterCollection);
            Assert.True(heap > 0 && free is not null, $"the silo's /metrics has no {HeapAfterCollection} or {FragmentationAfterCollection}");
            // The heap's free space between objects comes and goes with the GC's timing (a suite run once measured
            // 14 MiB more of it before than after): what the grains hold is the heap less that.
            return (heap!.Value - free!.Value, heap.Value, ResidentKiB(silo.Id));
        }

        // Warm up: the silo's code, caches and pools, then the resting size.
        // The figure is the slope between two populations, so that what the first activations leave behind once
        // (pools, caches, buffers a later collection may trim) counts in neither.
        await ActivateAsync(0, 500 + Baseline);
        var before = await SettledAsync();
        await ActivateAsync(500 + Baseline, Measured);
        var after = await SettledAsync();

        var sample = await grains.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, "learner-600")).GetAsync(MetricsWindow.All);
        Assert.Equal(60, sample.Totals.Count);
        var perUser = (after.HeapBytes - before.HeapBytes) / Measured;
        var residentPerUser = (after.ResidentKiB - before.ResidentKiB) * 1024.0 / Measured;
        output.WriteLine($"silo managed heap (less free space) after a full collection {before.HeapBytes / 1048576:F0} MiB -> {after.HeapBytes / 1048576:F0} MiB: {perUser:F0} bytes per active user grain " +
            $"(100,000 users: {perUser * 100_000 / 1048576:F0} MiB); with the free space {(after.WithFreeBytes - before.WithFreeBytes) / Measured:F0} bytes a user; resident memory {before.ResidentKiB / 1024} MiB -> {after.ResidentKiB / 1024} MiB ({residentPerUser:F0} bytes a user)");
        Assert.InRange(perUser, 500, 12 * 1024);
        await host.StopAsync();
    }

    /// <summary>The runtime's own gauge of the managed heap after the last collection, per generation.</summary>
    private const string HeapAfterCollection = "dotnet_gc_last_collection_heap_size_bytes";

    /// <summary>The runtime's gauge of the free space between the heap's objects after the last collection, per generation.</summary>
    private const string FragmentationAfterCollection = "dotnet_gc_last_collection_heap_fragmentation_size_bytes";

    private static long ResidentKiB(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Creates tenants straight in PostgreSQL.</summary>
    private sealed class TelemetryTenants(PostgresServer postgres)
    {
        public async Task<(string TenantId, string Key)> CreateAsync(string prefix)
        {
            await using var database = Npgsql.NpgsqlDataSource.Create(postgres.ConnectionString);
            var tenantId = $"{prefix}-{Guid.NewGuid():N}"[..30];
            var created = await new ApiKeyStore(database).CreateTenantAsync(tenantId);
            return (tenantId, created!.Key);
        }
    }
}
