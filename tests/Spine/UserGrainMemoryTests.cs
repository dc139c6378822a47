using Telemetry.Grains;
using Telemetry.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Telemetry.Tests.Spine;

/// <summary>
/// What an active user's grain costs a silo, measured on real activations in a cluster of its own
/// (the heap of this process is measured, so nothing else may run meanwhile).
/// </summary>
public sealed class UserGrainMemoryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TelemetryCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TelemetryCluster.StartAsync(silos: 1, gateways: 0);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task An_active_users_grain_with_a_typical_week_costs_a_few_kilobytes()
    {
        // A typical learner: 60 events in 6 sessions over the past week, in 5 categories.
        const int users = 4_000;
        var (tenantId, _) = await _cluster.CreateTenantAsync("mem");
        var types = new[] { "lesson_started", "lesson_completed", "hint_shown", "quiz_submitted", "tutor_query" };
        var random = new Random(5);
        var now = DateTimeOffset.UtcNow;
        CountedEvent[] Week(int user)
        {
            var events = new List<CountedEvent>(60);
            for (var session = 0; session < 6; session++)
            {
                var start = now.AddMinutes(-random.Next(0, 7 * 24 * 60));
                for (var i = 0; i < 10; i++) events.Add(new CountedEvent(events.Count + 1, types[random.Next(types.Length)], EventStatus.Success, start.AddSeconds(i * 20), 100));
            }
            return [.. events.OrderBy(e => e.Seq)];
        }

        var weeks = Enumerable.Range(0, users).Select(Week).ToArray();
        var client = _cluster.Cluster.Client;
        await client.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, "warm-up")).ApplyAsync(Week(0));
        GC.GetTotalMemory(forceFullCollection: true);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var start = 0; start < users; start += 200)
        {
            await Task.WhenAll(Enumerable.Range(start, 200).Select(u =>
                client.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, $"learner-{u}")).ApplyAsync(weeks[u])));
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);

        var sample = await client.GetGrain<IUserMetricsGrain>(UserKey.Format(tenantId, "learner-0")).GetAsync(MetricsWindow.SevenDays);
        Assert.Equal(60, sample.Totals.Count);

        var perUser = (after - before) / (double)users;
        output.WriteLine($"{perUser:F0} bytes per active user grain (heap of a silo and its client in this process); 100,000 users: {perUser * 100_000 / 1024 / 1024:F0} MiB");
        Assert.InRange(perUser, 1_000, 9 * 1024);
    }
}
