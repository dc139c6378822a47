using System.Diagnostics.Metrics;
using Telemetry.Observability;

namespace Telemetry.Tests.Gateway;

/// <summary>A gateway coalesces the single events that its requests send to one tenant at the same time into few grain calls.</summary>
public sealed class AppendCoalescingTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Concurrent_single_events_to_one_tenant_reach_its_log_in_far_fewer_calls_each_answered_for_itself()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("coalesce");
        var calls = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == IngestMetrics.MeterName && instrument.Name == "telemetry.log.appends") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags) if (tag.Key == "tenant" && (string?)tag.Value == tenant) Interlocked.Add(ref calls, value);
        });
        listener.Start();

        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Ingest:AppendCallsInFlight"] = "2" });
        using var client = gateway.CreateClient(key);
        var ids = Enumerable.Range(0, 400).Select(_ => Guid.NewGuid()).ToList();
        var answers = new HttpStatusCode[ids.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, ids.Count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, token) =>
        {
            // Every fourth event repeats an earlier id: each request still learns its own outcome.
            var id = i % 4 == 3 ? ids[i - 1] : ids[i];
            using var response = await client.PostAsJsonAsync("v1/events", new { id, type = "coalesced" }, token);
            answers[i] = response.StatusCode;
        });

        Assert.Equal(300, answers.Count(a => a == HttpStatusCode.Created));
        Assert.Equal(100, answers.Count(a => a == HttpStatusCode.OK));
        Assert.Equal(300, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        Assert.True(Interlocked.Read(ref calls) <= ids.Count / 2, $"{calls} grain calls for {ids.Count} requests");
    }
}
