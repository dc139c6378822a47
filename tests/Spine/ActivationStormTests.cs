using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;
using Orleans.TestingHost;
using Telemetry.Observability;
using Telemetry.Silo;

namespace Telemetry.Tests.Spine;

/// <summary>
/// Many users' grains activating at once (a silo's users moving after it died, a batch naming a thousand
/// new users) read their logs through each silo's queue, many users a statement, instead of racing for
/// pooled connections one activation each.
/// </summary>
// Its meters count every silo of the test process: on a cluster of its own and alone, nothing but
// this storm is counted (on the shared cluster, other tests' activations once made 420 statements).
[Collection(MeasuredAlone.Name)]
public sealed class ActivationStormTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TelemetryCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 0);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private const int Users = 1_500;
    private const int EventsPerUser = 4;

    [Fact]
    public async Task A_thousand_users_activating_at_once_queue_for_their_state_read_their_logs_in_few_statements_and_count_every_event()
    {
        var (tenantId, _) = await _cluster.CreateTenantAsync("storm");
        await StoreEventsAsync(tenantId);

        long statements = 0, usersRead = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestMetrics.MeterName && instrument.Name.StartsWith("telemetry.user_log.", StringComparison.Ordinal)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "telemetry.user_log.reads") Interlocked.Add(ref statements, value);
            else if (instrument.Name == "telemetry.user_log.users") Interlocked.Add(ref usersRead, value);
        });
        listener.Start();

        var grains = _cluster.Cluster.Client;
        var metrics = await Task.WhenAll(Enumerable.Range(0, Users).Select(u =>
            grains.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, $"storm-{u}")).GetAsync(MetricsWindow.All)));

        output.WriteLine($"{Users} activations at once: {statements} statements read {usersRead} users' logs");
        Assert.All(metrics, m => Assert.Equal(EventsPerUser, m.Totals.Count));
        Assert.All(metrics, m => Assert.Equal(EventsPerUser / 2, m.Totals.Failure));

        // Their state reads queued in each silo: never more at once than the limit, and some did wait.
        var storages = _cluster.Cluster.Silos.Cast<InProcessSiloHandle>()
            .Select(s => (BoundedGrainStorage)s.SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.UserGrains)).ToList();
        var limit = new GrainStorageOptions().MaxConcurrentOperations;
        output.WriteLine($"grain storage per silo: at most {string.Join(", ", storages.Select(s => s.PeakInFlight))} at once (limit {limit}), at most {string.Join(", ", storages.Select(s => s.PeakWaiting))} waiting");
        Assert.All(storages, s => Assert.InRange(s.PeakInFlight, 1, limit));
        Assert.Contains(storages, s => s.PeakWaiting > limit);
        // Other tests' activations may count too: the bound only says that users went together.
        Assert.True(Interlocked.Read(ref usersRead) >= Users, $"{usersRead} users' logs read");
        // The state reads before them let activations through 16 at a time per silo, so groups are small; one a user would be 1,500.
        Assert.True(Interlocked.Read(ref statements) <= Users / 4, $"{statements} statements read {usersRead} users' logs");
    }

    /// <summary>Stores each user's events as the log would have, and moves the head over them.</summary>
    private async Task StoreEventsAsync(string tenantId)
    {
        var now = DateTimeOffset.UtcNow;
        await using var connection = await _cluster.Database.OpenConnectionAsync();
        await using (var ensure = new NpgsqlCommand("SELECT telemetry_ensure_event_partition(@at)", connection))
        {
            ensure.Parameters.AddWithValue("at", now.UtcDateTime);
            await ensure.ExecuteScalarAsync();
        }

        long seq = 0;
        await using (var copy = await connection.BeginBinaryImportAsync("COPY events (tenant_id, event_id, seq, type, status, user_id, occurred_at, received_at, duration_ms) FROM STDIN (FORMAT BINARY)"))
        {
            for (var u = 0; u < Users; u++)
            {
                for (var i = 0; i < EventsPerUser; i++)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync(tenantId);
                    await copy.WriteAsync(Guid.NewGuid());
                    await copy.WriteAsync(++seq);
                    await copy.WriteAsync("lesson");
                    await copy.WriteAsync(i % 2 == 0 ? "success" : "failure");
                    await copy.WriteAsync($"storm-{u}");
                    await copy.WriteAsync(now.AddMinutes(-i).UtcDateTime, NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(now.UtcDateTime, NpgsqlDbType.TimestampTz);
                    await copy.WriteAsync(10.0);
                }
            }
            await copy.CompleteAsync();
        }
        await using var head = new NpgsqlCommand("UPDATE tenants SET log_head = @h WHERE tenant_id = @t", connection);
        head.Parameters.AddWithValue("h", seq);
        head.Parameters.AddWithValue("t", tenantId);
        await head.ExecuteNonQueryAsync();
    }
}
