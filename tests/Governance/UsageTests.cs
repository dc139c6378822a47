using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Governance;

/// <summary><c>GET /v1/usage</c>: what a tenant sent through several gateways and surfaces, counted once, kept in PostgreSQL.</summary>
public sealed class UsageTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    private static string Batch(IEnumerable<Guid> ids, int missingType, int badStatus)
    {
        var events = new JsonArray();
        foreach (var id in ids) events.Add(new JsonObject { ["id"] = id.ToString(), ["type"] = "lesson", ["status"] = "success" });
        for (var i = 0; i < missingType; i++) events.Add(new JsonObject { ["status"] = "success" });
        for (var i = 0; i < badStatus; i++) events.Add(new JsonObject { ["type"] = "lesson", ["status"] = "maybe" });
        return new JsonObject { ["events"] = events }.ToJsonString();
    }

    private static async Task<long> PostAsync(HttpClient client, string path, string body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), IngestValidationTests.Json(body));
        Assert.True(response.StatusCode == expected, $"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return Encoding.UTF8.GetByteCount(body);
    }

    [Fact]
    public async Task Usage_equals_what_was_sent_accepted_duplicates_each_rejection_reason_and_rate_limited_across_two_gateways()
    {
        var (tenantId, key, first) = await NewTenantAsync("usage");
        using var second = Cluster.Gateways[1].CreateClient(key);
        var limits = new Dictionary<string, string?> { ["RateLimit:EventsPerSecond"] = "1", ["RateLimit:Burst"] = "1000" };
        var limitedGateway = await Cluster.StartGatewayAsync(limits);
        using var third = limitedGateway.CreateClient(key);

        var ids = Enumerable.Range(0, 10).Select(_ => Guid.CreateVersion7()).ToList();
        var batch = Batch(ids, missingType: 2, badStatus: 1);
        long nativeBytes = 0;
        nativeBytes += await PostAsync(first, "v1/events/batch", batch, HttpStatusCode.OK);
        nativeBytes += await PostAsync(second, "v1/events/batch", batch, HttpStatusCode.OK);
        var tutorBytes = await PostAsync(second, "events", """{"event_type": "query", "user_email": "a@ucsd.edu", "payload": {}}""", HttpStatusCode.Created);
        // The limited gateway: a burst of 1,000 at one event a second; the tenant's next 1,000 at once are refused.
        var thousand = Batch(Enumerable.Range(0, 1000).Select(_ => Guid.CreateVersion7()), 0, 0);
        nativeBytes += await PostAsync(third, "v1/events/batch", thousand, HttpStatusCode.OK);
        nativeBytes += await PostAsync(third, "v1/events/batch", Batch(Enumerable.Range(0, 1000).Select(_ => Guid.CreateVersion7()), 0, 0), HttpStatusCode.TooManyRequests);

        JsonElement usage = default;
        await Eventually.HoldsAsync(async () =>
        {
            usage = JsonDocument.Parse(await first.GetStringAsync(new Uri("v1/usage", UriKind.Relative))).RootElement;
            var totals = usage.GetProperty("totals");
            return totals.GetProperty("accepted").GetInt64() == 1011 && totals.GetProperty("rate_limited").GetInt64() == 1000
                && totals.GetProperty("bytes_received").GetInt64() == nativeBytes + tutorBytes ? null : totals.GetRawText();
        }, TimeSpan.FromSeconds(10));

        var all = usage.GetProperty("totals");
        Assert.Equal((1011, 10, 6), (all.GetProperty("accepted").GetInt64(), all.GetProperty("duplicates").GetInt64(), all.GetProperty("rejected").GetInt64()));
        Assert.Equal((4, 2), (all.GetProperty("rejected_by").GetProperty("type").GetInt64(), all.GetProperty("rejected_by").GetProperty("status").GetInt64()));
        var bySurface = usage.GetProperty("data").EnumerateArray().GroupBy(b => b.GetProperty("surface").GetString()!)
            .ToDictionary(g => g.Key, g => (Accepted: g.Sum(b => b.GetProperty("accepted").GetInt64()), Bytes: g.Sum(b => b.GetProperty("bytes_received").GetInt64())));
        Assert.Equal((1010, nativeBytes), bySurface["native"]);
        Assert.Equal((1, tutorBytes), bySurface["tutor-logger"]);
        Assert.Equal("1h", usage.GetProperty("bucket").GetString());

        // By day, the same totals; kept in PostgreSQL, per tenant.
        var daily = JsonDocument.Parse(await first.GetStringAsync(new Uri("v1/usage?bucket=1d&from=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(-2).ToString("O")), UriKind.Relative))).RootElement;
        Assert.Equal(all.GetRawText(), daily.GetProperty("totals").GetRawText());
        Assert.Equal(1011, await new SqlTruth(Cluster.Database).CountAsync(
            "SELECT coalesce(sum(amount), 0) FROM usage_hourly WHERE tenant_id = @t AND kind = 'accepted'", ("t", tenantId)));
        var (_, _, other) = await NewTenantAsync("usage-other");
        var empty = JsonDocument.Parse(await other.GetStringAsync(new Uri("v1/usage", UriKind.Relative))).RootElement;
        Assert.Equal(0, empty.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("bucket=1w", "bucket")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=0001-01-01T00:00:00Z", "to")]
    [InlineData("from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to")]
    [InlineData("from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from")]
    public async Task A_bad_usage_query_is_refused_with_422_naming_the_parameter(string query, string field)
    {
        var (_, _, client) = await NewTenantAsync("usage-bad");
        using var response = await client.GetAsync(new Uri($"v1/usage?{query}", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }
}
