using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Compat;

/// <summary>Seed 001, the central logger: its documented payloads and answers, field by field, with X-API-Key.</summary>
public sealed class CentralLoggerTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    /// <summary>The document's example log, with its "[...]" placeholder (not JSON) filled in.</summary>
    private const string ExampleLog = """
        {
          "environment": "production",
          "executed_at": "2025-12-24T10:30:00Z",
          "ticket_id": "TICKET-123",
          "status": "SUCCESS",
          "execution_time_seconds": 5.2,
          "category": "billing_issue",
          "metrics": {"confidence": 0.95},
          "payload": {"trace": ["classify", "lookup", "reply"]}
        }
        """;

    private HttpClient Client(string key)
    {
        var client = new HttpClient { BaseAddress = Cluster.Gateways[0].BaseAddress };
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    [Fact]
    public async Task The_documented_log_goes_in_and_comes_back_field_by_field()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("central");
        using var client = Client(key);
        using var created = await client.PostAsync(new Uri("api/v1/logs", UriKind.Relative), IngestValidationTests.Json(ExampleLog));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        using var detail = JsonDocument.Parse(await client.GetStringAsync(new Uri($"api/v1/logs/{id}", UriKind.Relative)));
        var log = detail.RootElement;
        Assert.Equal(id, log.GetProperty("id").GetGuid());
        Assert.Equal(tenant, log.GetProperty("client_id").GetString());
        Assert.Equal("production", log.GetProperty("environment").GetString());
        Assert.Equal("TICKET-123", log.GetProperty("ticket_id").GetString());
        Assert.Equal(new DateTimeOffset(2025, 12, 24, 10, 30, 0, TimeSpan.Zero), log.GetProperty("executed_at").GetDateTimeOffset());
        Assert.Equal("SUCCESS", log.GetProperty("status").GetString());
        Assert.Equal(5.2, log.GetProperty("execution_time_seconds").GetDouble(), 9);
        Assert.Equal("billing_issue", log.GetProperty("category").GetString());
        Assert.Equal(0.95, log.GetProperty("metrics").GetProperty("confidence").GetDouble());
        Assert.Equal(3, log.GetProperty("payload").GetProperty("trace").GetArrayLength());
        Assert.True(log.TryGetProperty("created_at", out _));

        // The same log as a native event.
        using var native = JsonDocument.Parse(await Cluster.Gateways[0].CreateClient(key).GetStringAsync(new Uri($"v1/events/{id}", UriKind.Relative)));
        Assert.Equal("billing_issue", native.RootElement.GetProperty("type").GetString());
        Assert.Equal("success", native.RootElement.GetProperty("status").GetString());
        Assert.Equal(5200, native.RootElement.GetProperty("duration_ms").GetDouble(), 6);

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri($"api/v1/logs/{Guid.NewGuid()}", UriKind.Relative))).StatusCode);
        using var anonymous = new HttpClient { BaseAddress = Cluster.Gateways[0].BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(new Uri("api/v1/logs", UriKind.Relative), IngestValidationTests.Json(ExampleLog))).StatusCode);
    }

    [Fact]
    public async Task A_batch_of_up_to_100_logs_answers_201_with_all_their_ids_and_filters_page_and_metrics_follow_its_rules()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("central-batch");
        using var client = Client(key);
        var logs = new JsonArray();
        for (var i = 0; i < 60; i++)
        {
            logs.Add(new JsonObject
            {
                ["environment"] = i % 3 == 0 ? "staging" : "production",
                ["executed_at"] = new DateTimeOffset(2026, 11, 20 + i % 3, 12, 0, i, TimeSpan.Zero).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["ticket_id"] = $"TICKET-{i % 7}",
                ["status"] = i % 4 == 0 ? "FAILED" : "SUCCESS",
                ["execution_time_seconds"] = 2.0 + i % 5,
                ["category"] = i % 2 == 0 ? "billing_issue" : "refund",
                ["payload"] = new JsonObject { ["n"] = i },
            });
        }
        using var created = await client.PostAsync(new Uri("api/v1/logs/batch", UriKind.Relative), IngestValidationTests.Json(logs.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var ids = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        Assert.Equal(60, ids.RootElement.GetProperty("ids").GetArrayLength());

        // Over 100: 413; one bad log: 422 and nothing stored.
        var tooMany = new JsonArray([.. Enumerable.Range(0, 101).Select(_ => JsonNode.Parse(ExampleLog))]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync(new Uri("api/v1/logs/batch", UriKind.Relative), IngestValidationTests.Json(tooMany.ToJsonString()))).StatusCode);
        using var bad = await client.PostAsync(new Uri("api/v1/logs/batch", UriKind.Relative), IngestValidationTests.Json($$"""{"logs": [{{ExampleLog}}, {"environment": "x"}]}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.True(JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("logs[1].executed_at", out _));

        // The list with its filters and page/page_size pagination.
        using (var page = JsonDocument.Parse(await client.GetStringAsync(new Uri("api/v1/logs?page=2&page_size=25", UriKind.Relative))))
        {
            var pagination = page.RootElement.GetProperty("pagination");
            Assert.Equal(2, pagination.GetProperty("page").GetInt32());
            Assert.Equal(25, pagination.GetProperty("page_size").GetInt32());
            Assert.Equal(60, pagination.GetProperty("total").GetInt64());
            Assert.Equal(3, pagination.GetProperty("pages").GetInt32());
            Assert.Equal(25, page.RootElement.GetProperty("data").GetArrayLength());
        }
        var expected = logs.Select(l => l!.AsObject()).Where(l => (string)l["environment"]! == "production" && (string)l["status"]! == "SUCCESS"
            && (string)l["category"]! == "refund" && (string)l["ticket_id"]! == "TICKET-3").ToList();
        using (var filtered = JsonDocument.Parse(await client.GetStringAsync(new Uri(
            "api/v1/logs?environment=production&status=SUCCESS&category=refund&ticket_id=TICKET-3&start_date=2026-11-20&end_date=2026-11-22&page_size=100", UriKind.Relative))))
        {
            Assert.Equal(expected.Count, filtered.RootElement.GetProperty("pagination").GetProperty("total").GetInt64());
            Assert.All(filtered.RootElement.GetProperty("data").EnumerateArray(), l => Assert.Equal("TICKET-3", l.GetProperty("ticket_id").GetString()));
        }
        using (var day = JsonDocument.Parse(await client.GetStringAsync(new Uri("api/v1/logs?start_date=2026-11-21&end_date=2026-11-21", UriKind.Relative))))
        {
            Assert.Equal(20, day.RootElement.GetProperty("pagination").GetProperty("total").GetInt64());
        }

        // Metrics in its terms: percent success rates, seconds, any status but SUCCESS an error.
        await Eventually.HoldsAsync(async () =>
        {
            using var categories = JsonDocument.Parse(await client.GetStringAsync(new Uri("api/v1/metrics/categories", UriKind.Relative)));
            var data = categories.RootElement.GetProperty("data").EnumerateArray().ToList();
            if (data.Count != 2) return $"{data.Count} categories";
            var billing = data.Single(c => c.GetProperty("category").GetString() == "billing_issue");
            var billingLogs = logs.Where(l => (string)l!["category"]! == "billing_issue").ToList();
            var successes = billingLogs.Count(l => (string)l!["status"]! == "SUCCESS");
            Assert.Equal(billingLogs.Count, billing.GetProperty("count").GetInt64());
            Assert.Equal(successes, billing.GetProperty("success_count").GetInt64());
            Assert.Equal(Math.Round(100.0 * successes / billingLogs.Count, 1), billing.GetProperty("success_rate").GetDouble());
            return null;
        });

        // The overview counts by when logs were executed: within the last 90 days here, so days=90 sees all of them.
        using var overview = JsonDocument.Parse(await client.GetStringAsync(new Uri("api/v1/metrics/overview?days=90", UriKind.Relative)));
        var o = overview.RootElement;
        var failed = logs.Count(l => (string)l!["status"]! != "SUCCESS");
        Assert.Equal(60, o.GetProperty("total_tickets").GetInt64());
        Assert.Equal(failed, o.GetProperty("error_count").GetInt64());
        Assert.Equal(Math.Round(100.0 * (60 - failed) / 60, 1), o.GetProperty("success_rate").GetDouble());
        Assert.Equal(Math.Round(logs.Average(l => (double)l!["execution_time_seconds"]!), 2), o.GetProperty("avg_execution_time").GetDouble());
        Assert.Equal(90, o.GetProperty("period_days").GetInt32());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync(new Uri("api/v1/metrics/overview?days=91", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.GetAsync(new Uri("api/v1/metrics/overview?days=0", UriKind.Relative))).StatusCode);
        _ = tenant;
    }

    [Fact]
    public async Task Its_ticket_id_filter_is_served_by_an_index()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("central-index");
        using var client = Client(key);
        (await client.PostAsync(new Uri("api/v1/logs", UriKind.Relative), IngestValidationTests.Json(ExampleLog))).EnsureSuccessStatusCode();

        // The list's ticket filter, as the store writes it; with sequential scans off, the planner must still find an index for it.
        await using var connection = await Cluster.Database.OpenConnectionAsync();
        await using (var off = new Npgsql.NpgsqlCommand("SET enable_seqscan = off", connection)) await off.ExecuteNonQueryAsync();
        await using var explain = new Npgsql.NpgsqlCommand("""
            EXPLAIN (FORMAT JSON) SELECT event_id FROM events
            WHERE tenant_id = @t AND properties ? 'ticket_id' AND properties ->> 'ticket_id' = @ticket
            ORDER BY occurred_at DESC, seq DESC LIMIT 50
            """, connection);
        explain.Parameters.AddWithValue("t", tenant);
        explain.Parameters.AddWithValue("ticket", "TICKET-123");
        var plan = (string)(await explain.ExecuteScalarAsync())!;
        Assert.Contains("tenant_id_expr_occurred_at_seq_idx", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
    }
}
