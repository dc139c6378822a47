using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Query;

/// <summary><c>GET /v1/events</c> and <c>/v1/events/{id}</c>: every filter, the cursor walk, isolation.</summary>
[Collection(QueryCluster.Name)]
public sealed class EventQueryTests(QueryFixture fixture)
{
    private static readonly DateTimeOffset Mid = new(2026, 11, 14, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Late = new(2026, 11, 17, 12, 30, 0, TimeSpan.Zero);

    /// <summary>A query string and the rule that says which seeded events it selects.</summary>
    public static TheoryData<string, string> Filters => new()
    {
        { "", "all" },
        { "type=type-3", "type" },
        { "status=success", "success" },
        { "status=FAILURE", "failure" },
        { "user_id=user-7", "user" },
        { "session_id=session-12", "session" },
        { "environment=staging", "environment" },
        { "from=2026-11-14T00:00:00Z", "from" },
        { "to=2026-11-17T12:30:00Z", "to" },
        { "from=2026-11-14T00:00:00%2B00:00&to=2026-11-17T12:30:00Z", "from+to" },
        { "type=type-1&status=success", "type+success" },
        { "user_id=user-3&from=2026-11-14T00:00:00Z&to=2026-11-17T12:30:00Z", "user+from+to" },
        { "type=type-2&user_id=user-11&environment=production&status=failure", "type+user+environment+failure" },
        { "session_id=session-4&type=type-0", "session+type" },
        { "type=no-such-type", "none" },
    };

    private static bool Selects(string rule, QueryFixture.SeededEvent e) => rule switch
    {
        "all" => true,
        "type" => e.Type == "type-3",
        "success" => e.Status == "success",
        "failure" => e.Status == "failure",
        "user" => e.UserId == "user-7",
        "session" => e.SessionId == "session-12",
        "environment" => e.Environment == "staging",
        "from" => e.Timestamp >= Mid,
        "to" => e.Timestamp < Late,
        "from+to" => e.Timestamp >= Mid && e.Timestamp < Late,
        "type+success" => e.Type == "type-1" && e.Status == "success",
        "user+from+to" => e.UserId == "user-3" && e.Timestamp >= Mid && e.Timestamp < Late,
        "type+user+environment+failure" => e.Type == "type-2" && e.UserId == "user-11" && e.Environment == "production" && e.Status == "failure",
        "session+type" => e.SessionId == "session-4" && e.Type == "type-0",
        "none" => false,
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Every_filter_alone_and_combined_pages_through_exactly_the_matching_events_newest_first(string query, string rule)
    {
        using var client = fixture.Cluster.Gateways[1].CreateClient(fixture.Key);
        var expected = fixture.Events.Where(e => Selects(rule, e)).Select(e => e.Id).ToList();
        var walked = await WalkAsync(client, query, limit: 97);
        Assert.Equal(expected, walked.Select(e => e.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task A_page_shows_every_field_and_the_default_page_is_100()
    {
        using var client = fixture.Cluster.Gateways[0].CreateClient(fixture.Key);
        using var page = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/events", UriKind.Relative)));
        var data = page.RootElement.GetProperty("data");
        Assert.Equal(100, data.GetArrayLength());
        Assert.Equal(JsonValueKind.String, page.RootElement.GetProperty("next_cursor").ValueKind);
        foreach (var (item, seeded) in data.EnumerateArray().Zip(fixture.Events))
        {
            Assert.Equal(seeded.Id, item.GetProperty("id").GetGuid());
            Assert.Equal(seeded.Type, item.GetProperty("type").GetString());
            Assert.Equal(seeded.Status, item.GetProperty("status").GetString());
            Assert.Equal(seeded.UserId, item.GetProperty("user_id").GetString());
            Assert.Equal(seeded.SessionId, item.GetProperty("session_id").GetString());
            Assert.Equal(seeded.Environment, item.GetProperty("environment").GetString());
            Assert.Equal(seeded.Timestamp, item.GetProperty("timestamp").GetDateTimeOffset());
            Assert.Equal(seeded.DurationMs, item.GetProperty("duration_ms").ValueKind == JsonValueKind.Null ? null : item.GetProperty("duration_ms").GetDouble());
            Assert.Equal(JsonValueKind.Object, item.GetProperty("properties").ValueKind);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(seeded.Properties), JsonNode.Parse(item.GetProperty("properties").GetRawText())));
            Assert.True(item.GetProperty("received_at").GetDateTimeOffset() > seeded.Timestamp);
        }
    }

    [Fact]
    public async Task A_cursor_walk_returns_each_event_once_in_order_while_new_events_arrive()
    {
        // A tenant of its own: this test writes while it reads.
        var (_, key) = await fixture.Cluster.CreateTenantAsync("walk");
        using var client = fixture.Cluster.Gateways[0].CreateClient(key);
        var random = new Random(5);
        for (var b = 0; b < 5; b++)
        {
            var batch = new JsonArray([.. Enumerable.Range(0, 1000).Select(_ => (JsonNode)new JsonObject
            {
                ["type"] = "walked",
                ["timestamp"] = new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(0, 86400 * 5) / 60 * 60).ToString("O"),
            })]);
            (await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = batch })).EnsureSuccessStatusCode();
        }
        using var all = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/events/export?format=ndjson", UriKind.Relative)).ContinueWith(t => "[" + string.Join(",", t.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries)) + "]"));
        var before = all.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(5000, before.Count);

        var seen = new List<(Guid Id, DateTimeOffset Timestamp)>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var response = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/events?limit=250{(cursor is null ? "" : "&cursor=" + cursor)}", UriKind.Relative)));
            seen.AddRange(response.RootElement.GetProperty("data").EnumerateArray().Select(e => (e.GetProperty("id").GetGuid(), e.GetProperty("timestamp").GetDateTimeOffset())));
            cursor = response.RootElement.GetProperty("next_cursor").GetString();

            // Between pages: an event newer than everything, and one older than the walk's position.
            var arriving = new JsonArray(
                new JsonObject { ["type"] = "late-new", ["timestamp"] = DateTimeOffset.UtcNow.ToString("O") },
                new JsonObject { ["type"] = "late-old", ["timestamp"] = "2026-11-09T00:00:00Z" });
            (await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = arriving })).EnsureSuccessStatusCode();
            pages++;
        }
        while (cursor is not null);

        Assert.True(pages >= 20);
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());
        Assert.Equal(before, seen.Select(s => s.Id).Where(before.ToHashSet().Contains));
        for (var i = 1; i < seen.Count; i++) Assert.True(seen[i].Timestamp <= seen[i - 1].Timestamp);
        Assert.True(seen.Count > before.Count, "events that arrived behind the walk's position are reached later in the walk");
    }

    [Fact]
    public async Task One_event_by_id_and_404_for_unknown_malformed_and_other_tenants_ids()
    {
        using var client = fixture.Cluster.Gateways[0].CreateClient(fixture.Key);
        var seeded = fixture.Events[123];
        using var found = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/events/{seeded.Id}", UriKind.Relative)));
        Assert.Equal(seeded.Id, found.RootElement.GetProperty("id").GetGuid());
        Assert.Equal(seeded.Type, found.RootElement.GetProperty("type").GetString());

        foreach (var path in new[] { $"v1/events/{Guid.NewGuid()}", "v1/events/not-a-guid", "v1/events/00000000-0000-0000-0000-000000000000" })
        {
            using var missing = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        }

        var (_, otherKey) = await fixture.Cluster.CreateTenantAsync("other");
        using var other = fixture.Cluster.Gateways[1].CreateClient(otherKey);
        using var foreign = await other.GetAsync(new Uri($"v1/events/{seeded.Id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        using var list = JsonDocument.Parse(await other.GetStringAsync(new Uri("v1/events?limit=1000", UriKind.Relative)));
        Assert.Equal(0, list.RootElement.GetProperty("data").GetArrayLength());
        using var typed = JsonDocument.Parse(await other.GetStringAsync(new Uri($"v1/events?type={seeded.Type}&user_id=user-1", UriKind.Relative)));
        Assert.Equal(0, typed.RootElement.GetProperty("data").GetArrayLength());
        var export = await other.GetStringAsync(new Uri("v1/events/export?format=ndjson", UriKind.Relative));
        Assert.Equal("", export);
    }

    [Theory]
    [InlineData("v1/events", "limit=0", "limit")]
    [InlineData("v1/events", "limit=1001", "limit")]
    [InlineData("v1/events", "limit=ten", "limit")]
    [InlineData("v1/events", "limit=-5", "limit")]
    [InlineData("v1/events", "cursor=bogus", "cursor")]
    [InlineData("v1/events", "cursor=AAAAAAAAAAAAAAAAAAAAAA%3D%3D", "cursor")]
    [InlineData("v1/events", "status=ok", "status")]
    [InlineData("v1/events", "from=yesterday", "from")]
    [InlineData("v1/events", "to=2026-11-01", "to")]
    [InlineData("v1/events", "from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "to")]
    [InlineData("v1/events/export", "format=xml", "format")]
    [InlineData("v1/events/export", "format=csv&limit=10", "limit")]
    [InlineData("v1/events/export", "format=csv&status=maybe", "status")]
    public async Task A_bad_query_or_export_request_is_refused_with_422_naming_the_parameter(string path, string query, string field)
    {
        using var client = fixture.Cluster.Gateways[0].CreateClient(fixture.Key);
        using var response = await client.GetAsync(new Uri($"{path}?{query}", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    [Fact]
    public async Task Reading_events_needs_the_read_scope()
    {
        var ingestOnly = await fixture.Cluster.Keys.CreateKeyAsync(fixture.TenantId, "writer", Telemetry.Storage.KeyScopes.Ingest);
        using var client = fixture.Cluster.Gateways[0].CreateClient(ingestOnly.Key);
        foreach (var path in new[] { "v1/events", $"v1/events/{fixture.Events[0].Id}", "v1/events/export?format=csv" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
        }
        using var anonymous = fixture.Cluster.Gateways[0].CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("v1/events", UriKind.Relative))).StatusCode);
    }

    internal static async Task<List<JsonElement>> WalkAsync(HttpClient client, string query, int limit)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var path = $"v1/events?{query}{(query.Length > 0 ? "&" : "")}limit={limit.ToString(CultureInfo.InvariantCulture)}{(cursor is null ? "" : "&cursor=" + cursor)}";
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            var page = JsonDocument.Parse(text).RootElement;
            var data = page.GetProperty("data");
            Assert.True(data.GetArrayLength() <= limit);
            all.AddRange(data.EnumerateArray().Select(e => e.Clone()));
            cursor = page.GetProperty("next_cursor").GetString();
            if (cursor is not null) Assert.Equal(limit, data.GetArrayLength());
        }
        while (cursor is not null);
        return all;
    }
}
