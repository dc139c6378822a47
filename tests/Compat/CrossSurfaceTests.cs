using Grpc.Core;
using Grpc.Net.Client;
using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Compat;

/// <summary>One tenant fed through every surface: one event log, one set of metrics, nothing dropped.</summary>
public sealed class CrossSurfaceTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Events_through_every_surface_show_in_the_native_query_and_native_metrics_equal_sql()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("surfaces");
        var gateway = Cluster.Gateways[0];
        using var client = gateway.CreateClient(key);
        var factory = new EventFactory(seed: 77);
        var users = new[] { "u-1", "u-2", "u-3" };

        // Native, single and batch (JSON and NDJSON).
        (await client.PostAsJsonAsync("v1/events", factory.Next(users, DateTimeOffset.UtcNow))).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = new JsonArray([.. Enumerable.Range(0, 20).Select(_ => (JsonNode)factory.Next(users, DateTimeOffset.UtcNow))]) })).EnsureSuccessStatusCode();
        using (var ndjson = new StringContent(string.Join("\n", Enumerable.Range(0, 10).Select(_ => factory.Next(users, DateTimeOffset.UtcNow).ToJsonString())), System.Text.Encoding.UTF8, "application/x-ndjson"))
        {
            (await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), ndjson)).EnsureSuccessStatusCode();
        }
        // Seed 000.
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json("""{"event_type": "tutor_query", "user_email": "u-1", "payload": {"q": "?"}}"""))).StatusCode);
        // Seed 001, single and batch.
        const string log = """{"environment": "production", "executed_at": "2026-11-23T01:00:00Z", "ticket_id": "T-9", "status": "ESCALATED", "execution_time_seconds": 1.25, "category": "refund"}""";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(new Uri("api/v1/logs", UriKind.Relative), IngestValidationTests.Json(log))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(new Uri("api/v1/logs/batch", UriKind.Relative), IngestValidationTests.Json($"[{log}, {log}]"))).StatusCode);
        // Seed 003, HTTP and gRPC (unary, batch, stream).
        const string learner = """{"learner_id": "u-2", "course_id": "c", "lesson_id": "l", "event_type": "assessment_submitted", "event_data": {"score": 7}, "timestamp": "2026-11-23T02:00:00Z"}""";
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(new Uri("collect", UriKind.Relative), IngestValidationTests.Json($"{{\"events\": [{learner}, {learner}]}}"))).StatusCode);
        using var channel = GrpcChannel.ForAddress(gateway.GrpcAddress);
        var grpc = new EventCollectorService.EventCollectorServiceClient(channel);
        var auth = new Metadata { { "x-api-key", key } };
        Assert.True((await grpc.CollectEventAsync(EventCollectorTests.Learner(1, Guid.NewGuid()), auth)).Success);
        var batch = new EventBatch();
        for (var i = 0; i < 5; i++) batch.Events.Add(EventCollectorTests.Learner(i, Guid.NewGuid()));
        Assert.Equal(5, (await grpc.CollectEventsAsync(batch, auth)).Accepted);
        using (var stream = grpc.StreamEvents(auth))
        {
            for (var i = 0; i < 30; i++) await stream.RequestStream.WriteAsync(EventCollectorTests.Learner(i, Guid.NewGuid()));
            await stream.RequestStream.CompleteAsync();
            var acknowledged = 0;
            await foreach (var ack in stream.ResponseStream.ReadAllAsync()) acknowledged += ack.Accepted;
            Assert.Equal(30, acknowledged);
        }

        const int expected = 1 + 20 + 10 + 1 + 3 + 2 + 1 + 5 + 30;
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(expected, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        var listed = await Query.EventQueryTests.WalkAsync(client, "", limit: 1000);
        Assert.Equal(expected, listed.Count);
        Assert.Contains(listed, e => e.GetProperty("properties").TryGetProperty("ticket_id", out var t) && t.GetString() == "T-9");
        Assert.Contains(listed, e => e.GetProperty("properties").TryGetProperty("course_id", out _));
        Assert.Contains(listed, e => e.GetProperty("type").GetString() == "tutor_query");

        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenant));
        foreach (var user in users) await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenant, user));

        // And the central logger's view of the same tenant counts every surface's events.
        using var other = new HttpClient { BaseAddress = gateway.BaseAddress };
        other.DefaultRequestHeaders.Add("X-API-Key", key);
        using var page = JsonDocument.Parse(await other.GetStringAsync(new Uri("api/v1/logs?page_size=1", UriKind.Relative)));
        Assert.Equal(expected, page.RootElement.GetProperty("pagination").GetProperty("total").GetInt64());
    }
}
