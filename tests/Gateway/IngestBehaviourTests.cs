using static Telemetry.Tests.Gateway.IngestValidationTests;

namespace Telemetry.Tests.Gateway;

/// <summary>What ingest answers and stores: duplicates, partial batches, keys and scopes, health.</summary>
public sealed class IngestBehaviourTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task A_duplicate_id_answers_200_with_the_original_receipt_and_is_stored_and_counted_once()
    {
        var (tenant, key, client) = await NewTenantAsync("dup");
        var id = Guid.NewGuid();
        var body = $$"""{"id": "{{id}}", "type": "once", "status": "success", "user_id": "dana"}""";

        using var first = await client.PostAsync(new Uri("v1/events", UriKind.Relative), Json(body));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var created = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.Equal(id, created.RootElement.GetProperty("id").GetGuid());
        Assert.False(created.RootElement.TryGetProperty("duplicate", out _));

        // Again through the other gateway, then inside a batch twice.
        using var again = await Cluster.Gateways[1].CreateClient(key).PostAsync(new Uri("v1/events", UriKind.Relative), Json(body));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var duplicate = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
        Assert.True(duplicate.RootElement.GetProperty("duplicate").GetBoolean());
        Assert.Equal(id, duplicate.RootElement.GetProperty("id").GetGuid());
        Assert.Equal(created.RootElement.GetProperty("received_at").GetDateTimeOffset(), duplicate.RootElement.GetProperty("received_at").GetDateTimeOffset());

        var other = Guid.NewGuid();
        using var batch = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), Json(
            $$"""{"events": [{"id": "{{id}}", "type": "once"}, {"id": "{{other}}", "type": "twice"}, {"id": "{{other}}", "type": "twice"}]}"""));
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        using var result = JsonDocument.Parse(await batch.Content.ReadAsStringAsync());
        Assert.Equal(1, result.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(2, result.RootElement.GetProperty("duplicates").GetInt32());
        Assert.Equal(["duplicate", "accepted", "duplicate"], result.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("status").GetString()));

        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(2, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenant));
        await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenant, "dana"));
        using var overview = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/metrics/overview?window=all", UriKind.Relative)));
        Assert.Equal(2, overview.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(1, overview.RootElement.GetProperty("success").GetInt64());
        Assert.Equal(1.0, overview.RootElement.GetProperty("success_rate").GetDouble());
    }

    [Fact]
    public async Task A_batch_stores_its_valid_events_and_reports_each_one_and_refuses_with_422_when_none_is_valid()
    {
        var (tenant, key, client) = await NewTenantAsync("batch");
        using var mixed = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), Json(
            """{"events": [{"type": "ok"}, {"type": ""}, {"type": "ok", "status": "FAILURE"}, 17, {"type": "x", "nope": 1}]}"""));
        Assert.Equal(HttpStatusCode.OK, mixed.StatusCode);
        using var result = JsonDocument.Parse(await mixed.Content.ReadAsStringAsync());
        Assert.Equal(2, result.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(3, result.RootElement.GetProperty("rejected").GetInt32());
        var items = result.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2, 3, 4], items.Select(i => i.GetProperty("index").GetInt32()));
        Assert.Equal("type", items[1].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("event", items[3].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal("nope", items[4].GetProperty("errors")[0].GetProperty("field").GetString());
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(2, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));

        using var none = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), Json("""{"events": [{"type": 1}, {}]}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, none.StatusCode);
        using var refused = JsonDocument.Parse(await none.Content.ReadAsStringAsync());
        Assert.Equal(2, refused.RootElement.GetProperty("rejected").GetInt32());
        Assert.Equal(0, refused.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(2, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
    }

    [Fact]
    public async Task Keys_are_checked_401_without_a_valid_key_and_403_without_the_scope()
    {
        var (tenant, _) = await Cluster.CreateTenantAsync("keys");
        var readOnly = await Cluster.Keys.CreateKeyAsync(tenant, "dashboard", KeyScopes.Read);
        var ingestOnly = await Cluster.Keys.CreateKeyAsync(tenant, "browser", KeyScopes.Ingest);
        var gateway = Cluster.Gateways[0];
        var overview = new Uri("v1/metrics/overview", UriKind.Relative);
        var events = new Uri("v1/events", UriKind.Relative);

        using (var anonymous = gateway.CreateClient())
        {
            using var response = await anonymous.PostAsync(events, Json("""{"type": "a"}"""));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
        foreach (var bad in new[] { "nonsense", ApiKeyFormat.Generate().Key, ingestOnly.Key[..^1] + (ingestOnly.Key[^1] == 'A' ? 'B' : 'A') })
        {
            using var client = gateway.CreateClient(bad);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(events, Json("""{"type": "a"}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(overview)).StatusCode);
        }

        using (var reader = gateway.CreateClient(readOnly.Key))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsync(events, Json("""{"type": "a"}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(overview)).StatusCode);
        }
        using (var writer = new HttpClient { BaseAddress = gateway.BaseAddress })
        {
            writer.DefaultRequestHeaders.Add("X-API-Key", ingestOnly.Key);
            Assert.Equal(HttpStatusCode.Created, (await writer.PostAsync(events, Json("""{"type": "a"}"""))).StatusCode);
            using var forbidden = await writer.GetAsync(overview);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_revoked_key_stops_working_on_every_gateway_within_a_second()
    {
        var (tenant, _) = await Cluster.CreateTenantAsync("revoke");
        var key = await Cluster.Keys.CreateKeyAsync(tenant, "leaked", KeyScopes.Ingest);
        var clients = Cluster.Gateways.Select(g => g.CreateClient(key.Key)).ToList();
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsync(new Uri("v1/events", UriKind.Relative), Json("""{"type": "a"}"""))).StatusCode);
        }

        await using (var revoke = Cluster.Database.CreateCommand("UPDATE api_keys SET revoked_at = now() WHERE key_id = @id"))
        {
            revoke.Parameters.AddWithValue("id", key.KeyId);
            Assert.Equal(1, await revoke.ExecuteNonQueryAsync());
        }
        await Task.Delay(TimeSpan.FromSeconds(1));
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(new Uri("v1/events", UriKind.Relative), Json("""{"type": "a"}"""))).StatusCode);
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_tenant_sees_only_its_own_metrics_and_users()
    {
        var (a, keyA) = await Cluster.CreateTenantAsync("iso-a");
        var (_, keyB) = await Cluster.CreateTenantAsync("iso-b");
        using var clientA = Cluster.Gateways[0].CreateClient(keyA);
        using var clientB = Cluster.Gateways[1].CreateClient(keyB);
        Assert.Equal(HttpStatusCode.Created, (await clientA.PostAsync(new Uri("v1/events", UriKind.Relative), Json("""{"type": "secret", "user_id": "alice"}"""))).StatusCode);
        await Eventually.HoldsAsync(async () =>
        {
            using var mine = JsonDocument.Parse(await clientA.GetStringAsync(new Uri("v1/metrics/overview?window=all", UriKind.Relative)));
            return mine.RootElement.GetProperty("total").GetInt64() == 1 ? null : "tenant A does not see its event yet";
        });

        using var theirs = JsonDocument.Parse(await clientB.GetStringAsync(new Uri("v1/metrics/categories?window=all", UriKind.Relative)));
        Assert.Equal(0, theirs.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await clientB.GetAsync(new Uri("v1/users/alice/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await clientA.GetAsync(new Uri("v1/users/alice/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await clientA.GetAsync(new Uri("v1/users/nobody/metrics", UriKind.Relative))).StatusCode);
        _ = a;
    }

    [Fact]
    public async Task Metrics_parameters_are_validated()
    {
        var (_, key, client) = await NewTenantAsync("params");
        foreach (var path in new[] { "v1/metrics/overview?window=2h", "v1/metrics/categories?window=ALL", "v1/metrics/timeseries?bucket=10m", "v1/metrics/timeseries?window=7d&bucket=5m", "v1/metrics/timeseries?window=all&bucket=1h", "v1/users/u/metrics?window=1y" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, path);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using var series = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/metrics/timeseries?window=1h", UriKind.Relative)));
        Assert.Equal("1m", series.RootElement.GetProperty("bucket").GetString());
        Assert.InRange(series.RootElement.GetProperty("data").GetArrayLength(), 60, 61);
    }

    [Fact]
    public async Task Health_answers_ok_with_version_and_time_and_liveness_needs_nothing()
    {
        using var client = Cluster.Gateways[0].CreateClient();
        using var health = await client.GetAsync(new Uri("health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("version").GetString()));
        Assert.True(Math.Abs((body.RootElement.GetProperty("timestamp").GetDateTimeOffset() - DateTimeOffset.UtcNow).TotalMinutes) < 1);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("health/ready", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("health/live", UriKind.Relative))).StatusCode);
    }
}
