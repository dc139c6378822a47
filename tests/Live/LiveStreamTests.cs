using Microsoft.Extensions.DependencyInjection;
using Telemetry.Gateway.Live;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Live;

/// <summary><c>GET /v1/stream</c>: pushed from the tenant's grain to every gateway with listeners.</summary>
public sealed class LiveStreamTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task A_listener_on_one_gateway_sees_a_metrics_event_within_two_seconds_of_an_ingest_on_another()
    {
        var (_, key, reader) = await NewTenantAsync("live", Cluster.Gateways[1]);
        using var writer = Cluster.Gateways[0].CreateClient(key);
        await using var stream = await SseClient.ConnectAsync(reader);
        var initial = await stream.NextAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("metrics", initial?.Type);
        Assert.Equal(0, initial!.Data.GetProperty("overview").GetProperty("total").GetInt64());

        for (var round = 1; round <= 3; round++)
        {
            var clock = Stopwatch.StartNew();
            using (var posted = await writer.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json($$"""{"type": "pushed-{{round}}", "status": "success"}""")))
            {
                Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            }
            var pushed = await stream.WaitForAsync("metrics", d => d.GetProperty("overview").GetProperty("total").GetInt64() == round, TimeSpan.FromSeconds(2));
            output.WriteLine($"round {round}: pushed after {clock.ElapsedMilliseconds} ms");
            Assert.NotNull(pushed);
            Assert.Contains(pushed!.Data.GetProperty("categories").EnumerateArray(), c => c.GetProperty("type").GetString() == $"pushed-{round}");
        }
    }

    [Fact]
    public async Task Heartbeats_fill_silences_pushes_come_at_most_once_a_second_and_other_tenants_see_nothing()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Stream:HeartbeatInterval"] = "00:00:00.4" });
        var (_, key) = await Cluster.CreateTenantAsync("beat");
        var (_, otherKey) = await Cluster.CreateTenantAsync("quiet");
        using var client = gateway.CreateClient(key);
        using var other = gateway.CreateClient(otherKey);
        await using var stream = await SseClient.ConnectAsync(client);
        await using var quiet = await SseClient.ConnectAsync(other);
        Assert.Equal("metrics", (await stream.NextAsync(TimeSpan.FromSeconds(5)))?.Type);
        Assert.Equal("metrics", (await quiet.NextAsync(TimeSpan.FromSeconds(5)))?.Type);
        Assert.Equal("heartbeat", (await stream.NextAsync(TimeSpan.FromSeconds(2)))?.Type);

        // Three seconds of steady ingest: at most one metrics event a second reaches the listener.
        var events = new List<SseClient.Message>();
        var ingest = Task.Run(async () =>
        {
            var until = DateTime.UtcNow.AddSeconds(3);
            while (DateTime.UtcNow < until)
            {
                using var _ = await client.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "steady"}"""));
                await Task.Delay(20);
            }
        });
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3.5))
        {
            if (await stream.NextAsync(TimeSpan.FromSeconds(2)) is { } e) events.Add(e);
        }
        await ingest;
        var pushes = events.Count(e => e.Type == "metrics");
        output.WriteLine($"{pushes} metrics events and {events.Count - pushes} heartbeats in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(pushes, 2, 4);

        // The other tenant's stream carried heartbeats only.
        var seen = new List<SseClient.Message>();
        for (var i = 0; i < 5; i++) if (await quiet.NextAsync(TimeSpan.FromSeconds(1)) is { } e) seen.Add(e);
        Assert.NotEmpty(seen);
        Assert.All(seen, e => Assert.Equal("heartbeat", e.Type));
    }

    [Fact]
    public async Task A_thousand_connects_and_disconnects_leave_no_listener_and_no_subscription()
    {
        var (tenantId, key) = await Cluster.CreateTenantAsync("churn");
        var gateway = Cluster.Gateways[0];
        var hub = gateway.Services.GetRequiredService<LiveMetricsHub>();
        using var client = gateway.CreateClient(key);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) =>
        {
            await using var stream = await SseClient.ConnectAsync(client);
            Assert.Equal("metrics", (await stream.NextAsync(TimeSpan.FromSeconds(10)))?.Type);
        });

        var grain = Cluster.Cluster.Client.GetGrain<ITenantMetricsGrain>(tenantId);
        await Eventually.HoldsAsync(async () =>
        {
            var subscribers = await grain.CountSubscribersAsync();
            // Other tests' tenants may be subscribed on this shared gateway (their metrics reads keep a copy).
            return hub.ListenerCount == 0 && !hub.IsSubscribed(tenantId) && subscribers == 0
                ? null : $"{hub.ListenerCount} listeners, subscribed {hub.IsSubscribed(tenantId)}, {subscribers} at the grain";
        });
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"heap after 1000 connects and disconnects: {(after - before) / 1024.0 / 1024:F1} MiB more");
        Assert.True(after - before < 32 * 1024 * 1024, $"{after - before} bytes kept");
    }
}
