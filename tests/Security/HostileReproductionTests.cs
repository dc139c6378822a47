using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary>
/// The hostile inputs of issue 15 as a new user with an ingest key sent them, on every surface: each is a
/// 4xx naming its field, and valid events sent at the same time to the same tenant are all stored.
/// </summary>
public sealed partial class HostileReproductionTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Bystanders_lose_no_event_while_attackers_send_rows_that_PostgreSQL_would_refuse()
    {
        var (tenant, key, client) = await NewTenantAsync("bystander");
        string[] poison =
        [
            """{"type": "a", "properties": {"n": 1e999999}}""",
            """{"type": "a", "properties": {"n": -1e-999999}}""",
            """{"type": "a", "properties": {"deep": [{"n": 0e-99999}]}}""",
            """{"type": "a", "properties": {"n": 1e-400}}""",
            $$$"""{"type": "a", "properties": {"ticket_id": "{{{RandomText(4000)}}}"}}""",
            $$$$"""{"type": "a", "properties": {"ticket_id": {"x": "{{{{new string('x', 300)}}}}"}}}""",
            """{"type": "a", "duration_ms": 1.7e308}""",
            """{"type": "a", "duration_ms": 2592000001}""",
        ];

        var attackers = Enumerable.Range(0, 4).Select(a => Task.Run(async () =>
        {
            var statuses = new List<(HttpStatusCode, string)>();
            for (var i = 0; i < 24; i++)
            {
                using var response = await client.PostAsync("v1/events", IngestValidationTests.Json(poison[(a + i) % poison.Length]));
                statuses.Add((response.StatusCode, await response.Content.ReadAsStringAsync()));
            }
            return statuses;
        })).ToList();
        var bystanders = Enumerable.Range(0, 8).Select(b => Task.Run(async () =>
        {
            var ids = new List<Guid>();
            for (var i = 0; i < 20; i++)
            {
                var id = Guid.NewGuid();
                using var response = await client.PostAsJsonAsync("v1/events", new { id, type = "bystander", status = "success", duration_ms = 12.5, user_id = $"b{b}", properties = new { n = 1e300, small = 5e-324 } });
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                ids.Add(id);
            }
            return ids;
        })).ToList();

        foreach (var (status, body) in (await Task.WhenAll(attackers)).SelectMany(s => s))
        {
            Assert.True(status == HttpStatusCode.UnprocessableEntity, $"{(int)status}: {body}");
            using var problem = JsonDocument.Parse(body);
            var field = problem.RootElement.GetProperty("errors").EnumerateObject().Single().Name;
            Assert.True(field is "properties" or "properties.ticket_id" or "duration_ms", field);
        }
        var stored = (await Task.WhenAll(bystanders)).SelectMany(i => i).ToList();
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(stored.Count, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        await Eventually.HoldsAsync(() => new MetricsComparison(client, sql).TenantDiffersAsync(tenant));
    }

    [Fact]
    public async Task Durations_that_would_sum_to_infinity_are_refused_and_every_metrics_answer_can_still_be_written()
    {
        var (_, key, client) = await NewTenantAsync("infinite", Cluster.Gateways[1]);
        using (var batch = await client.PostAsync("v1/events/batch", IngestValidationTests.Json("""{"events":[{"type":"a","duration_ms":1.7e308},{"type":"b","duration_ms":1.7e308},{"type":"c","duration_ms":2592000000}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
            var answer = await batch.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
            Assert.Equal(2, answer.GetProperty("rejected").GetInt32());
            Assert.Equal("duration_ms", answer.GetProperty("results")[0].GetProperty("errors")[0].GetProperty("field").GetString());
        }
        foreach (var window in MetricsComparison.Windows)
        {
            foreach (var path in new[] { $"v1/metrics/overview?window={window}", $"v1/metrics/categories?window={window}" })
            {
                using var response = await client.GetAsync(path);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Compatible_surfaces_refuse_the_same_rows_naming_their_own_fields()
    {
        var (tenant, key, client) = await NewTenantAsync("compat-hostile");

        // The central logger's ticket filter is indexed: a long random ticket_id would overflow the index row.
        using (var log = await client.PostAsync("api/v1/logs", IngestValidationTests.Json($$"""{"environment": "prod", "executed_at": "2026-11-23T06:00:00Z", "status": "SUCCESS", "ticket_id": "{{RandomText(4000)}}"}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, log.StatusCode);
            Assert.Contains("\"ticket_id\"", await log.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var seconds = await client.PostAsync("api/v1/logs", IngestValidationTests.Json("""{"environment": "prod", "executed_at": "2026-11-23T06:00:00Z", "status": "SUCCESS", "execution_time_seconds": 1e306}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, seconds.StatusCode);
            Assert.Contains("\"execution_time_seconds\"", await seconds.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var tutor = await client.PostAsync("events", IngestValidationTests.Json("""{"event_type": "q", "user_email": "a@b.c", "payload": {"n": 1e999999}}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, tutor.StatusCode);
        }

        // gRPC strings never pass a JSON reader: NUL must be caught all the same.
        using var channel = GrpcChannel.ForAddress(Cluster.Gateways[0].GrpcAddress);
        var grpc = new EventCollectorService.EventCollectorServiceClient(channel);
        var auth = new Metadata { { "authorization", $"Bearer {key}" } };
        var batch = new EventBatch();
        batch.Events.Add(new Event { LearnerId = "nul\0learner", CourseId = "c", LessonId = "l", EventType = "lesson_started", Timestamp = "2026-11-23T06:00:00Z" });
        batch.Events.Add(new Event { LearnerId = "l", SessionId = "nul\0session", CourseId = "c", LessonId = "l", EventType = "lesson_started", Timestamp = "2026-11-23T06:00:00Z" });
        batch.Events.Add(new Event { LearnerId = "fine", CourseId = "c", LessonId = "l", EventType = "lesson_started", Timestamp = "2026-11-23T06:00:00Z" });
        var answer = await grpc.CollectEventsAsync(batch, auth);
        Assert.Equal(1, answer.Accepted);
        Assert.Equal(2, answer.Rejected);
        Assert.Equal(1, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
    }

    [Fact]
    public async Task Field_names_that_clients_choose_never_become_metric_label_values()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("labels");
        var gateway = Cluster.Gateways[0];
        using var client = gateway.CreateClient(key);
        for (var i = 0; i < 40; i++)
        {
            using var response = await client.PostAsync("v1/events", IngestValidationTests.Json($$"""{"type": "a", "chosen_{{i}}": 1}"""));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }
        using var scraper = new HttpClient();
        var scrape = await PrometheusScrape.GetAsync(scraper, gateway.MetricsAddress);
        var fields = RejectedField().Matches(scrape.Text).Where(m => m.Groups["tenant"].Value == tenant).Select(m => m.Groups["field"].Value).Distinct().ToList();
        Assert.Equal(["other"], fields);
        Assert.Equal(40, scrape.Sum("telemetry_events_rejected_total", ("tenant", tenant)));
    }

    private static string RandomText(int length) =>
        string.Concat(Enumerable.Range(0, length).Select(_ => (char)Random.Shared.Next('a', 'z' + 1) switch { var c when Random.Shared.Next(3) == 0 => char.ToUpperInvariant(c), var c => c }))
        + Guid.NewGuid().ToString("N");

    [GeneratedRegex("""telemetry_events_rejected_total\{(?=[^}]*field="(?<field>[^"]*)")(?=[^}]*tenant="(?<tenant>[^"]*)")""")]
    private static partial Regex RejectedField();
}
