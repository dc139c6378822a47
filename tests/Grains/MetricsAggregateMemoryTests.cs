namespace Telemetry.Tests.Grains;

/// <summary>
/// What a typical user's counters hold, measured as the test process's heap before and after: alone,
/// because other tests allocating and collecting at the same time move that figure (once below zero).
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class MetricsAggregateMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void A_typical_users_metrics_cost_a_few_kilobytes()
    {
        // A typical learner: 60 events in 6 sessions over a week, in 5 categories.
        const int users = 5_000;
        var random = new Random(11);
        var types = new[] { "lesson_started", "lesson_completed", "hint_shown", "quiz_submitted", "tutor_query" };
        CountedEvent[] Week()
        {
            var list = new List<CountedEvent>(60);
            for (var session = 0; session < 6; session++)
            {
                var start = MetricsAggregateTests.Now.AddMinutes(-random.Next(0, 7 * 24 * 60));
                for (var i = 0; i < 10; i++) list.Add(new CountedEvent(list.Count + 1, types[random.Next(types.Length)], EventStatus.Success, start.AddSeconds(i * 20), 120));
            }
            return [.. list];
        }

        // Each week's events are garbage once counted, so the difference is the aggregates alone.
        var aggregates = new MetricsAggregate[users];
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var u = 0; u < users; u++)
        {
            aggregates[u] = new MetricsAggregate(keepDays: false, cacheWindows: false);
            aggregates[u].Apply(Week());
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(aggregates);

        var perUser = (after - before) / (double)users;
        output.WriteLine($"{perUser:F0} bytes per user; 100,000 users: {perUser * 100_000 / 1024 / 1024:F0} MiB");
        Assert.InRange(perUser, 500, 6 * 1024);
    }
}
