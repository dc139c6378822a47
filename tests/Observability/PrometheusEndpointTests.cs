using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Observability;

/// <summary>
/// A silo and a gateway as processes: the Prometheus endpoints of both expose the ingest metrics, and
/// their counters equal what this test sent, surface by surface, and what PostgreSQL holds.
/// </summary>
public sealed class PrometheusEndpointTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_gateway_and_silo_counters_match_the_events_sent()
    {
        await using var cluster = new ProcessCluster(await SharedPostgres.GetAsync(), "prom", output);
        var silo = await cluster.StartSiloAsync("silo-0");
        var (gateway, address) = await cluster.StartGatewayAsync("gateway-0");
        var tenant = "prom-" + Guid.NewGuid().ToString("N")[..10];
        var created = await new ApiKeyStore(cluster.Database).CreateTenantAsync(tenant);
        using var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", created!.Key);

        // Native: six new events, then the first again (a duplicate).
        var ids = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var id in ids) await PostAsync(client, "v1/events", $$"""{"id": "{{id}}", "type": "lesson", "status": "success", "user_id": "u1"}""", HttpStatusCode.Created);
        await PostAsync(client, "v1/events", $$"""{"id": "{{ids[0]}}", "type": "lesson", "status": "success", "user_id": "u1"}""", HttpStatusCode.OK);
        // A batch: three new, one duplicate of the second single, one without a type.
        await PostAsync(client, "v1/events/batch", $$"""
            {"events": [{"type": "quiz", "status": "failure"}, {"type": "quiz"}, {"type": "hint", "user_id": "u2"},
             {"id": "{{ids[1]}}", "type": "lesson", "status": "success", "user_id": "u1"}, {"status": "success"}]}
            """, HttpStatusCode.OK);
        // The tutor logger's surface: two more.
        await PostAsync(client, "events", """{"event_type": "tutor_query", "user_email": "a@ucsd.edu"}""", HttpStatusCode.Created);
        await PostAsync(client, "events", """{"event_type": "button_click"}""", HttpStatusCode.Created);

        using var scraper = new HttpClient();
        var gatewayMetrics = ProcessCluster.MetricsAddress(gateway);
        await Eventually.HoldsAsync(async () =>
        {
            var scrape = await PrometheusScrape.GetAsync(scraper, gatewayMetrics);
            (string, string, double)[] expected =
            [
                ("telemetry_events_accepted_total", "native", 9),
                ("telemetry_events_duplicates_total", "native", 2),
                ("telemetry_events_rejected_total", "native", 1),
                ("telemetry_events_accepted_total", "tutor-logger", 2),
            ];
            foreach (var (name, surface, want) in expected)
            {
                var got = scrape.Sum(name, ("tenant", tenant), ("surface", surface));
                if (got != want) return $"{name}{{surface={surface}}} is {got?.ToString() ?? "absent"}, want {want}";
            }
            var byField = scrape.Sum("telemetry_events_rejected_total", ("tenant", tenant), ("field", "type"));
            if (byField != 1) return $"rejected by field type: {byField}";
            return scrape.Has("http_server_request_duration_seconds_count") ? null : "no ASP.NET Core request metrics";
        });

        var siloMetrics = ProcessCluster.SiloAddress(silo);
        var stored = await new SqlTruth(cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant));
        Assert.Equal(11, stored);
        await Eventually.HoldsAsync(async () =>
        {
            var scrape = await PrometheusScrape.GetAsync(scraper, siloMetrics);
            var committed = scrape.Sum("telemetry_log_committed_total", ("tenant", tenant));
            if (committed != stored) return $"committed {committed?.ToString() ?? "absent"}, stored {stored}";
            if (!(scrape.Sum("telemetry_log_batch_size_count") >= 1)) return "no batch sizes";
            if (!(scrape.Sum("telemetry_log_commit_duration_milliseconds_count") >= 1)) return "no commit durations:\n" + scrape.Text;
            if (scrape.Sum("telemetry_log_pending") != 0) return $"pending {scrape.Sum("telemetry_log_pending")}";
            return scrape.Text.Contains("\norleans_", StringComparison.Ordinal) ? null : "no Orleans metrics";
        });

        // The public port does not show per-tenant series; the silo's port has the Orleans dashboard.
        using (var onPublicPort = await scraper.GetAsync(new Uri(address, "metrics")))
        {
            Assert.Equal(HttpStatusCode.NotFound, onPublicPort.StatusCode);
        }
        using (var dashboard = await scraper.GetAsync(new Uri(siloMetrics, "orleans")))
        {
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("text/html", dashboard.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        }
    }

    private static async Task PostAsync(HttpClient client, string path, string body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), IngestValidationTests.Json(body));
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
