using Microsoft.Extensions.DependencyInjection;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Governance;

/// <summary><c>/v1/rejected</c>: refused events kept with their reasons, listed with filters, and replayed once fixed.</summary>
public sealed class RejectedEventsTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    /// <summary>The real clock moved by <see cref="Offset"/>: the gateway's "now", which a test moves forward.</summary>
    private sealed class MovableClock : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }

    private static async Task<JsonElement> ListAsync(HttpClient client, string query = "")
    {
        JsonElement data = default;
        await Eventually.HoldsAsync(async () =>
        {
            data = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/rejected" + query, UriKind.Relative))).RootElement;
            return data.GetProperty("data").GetArrayLength() > 0 ? null : "nothing kept yet";
        }, TimeSpan.FromSeconds(10));
        return data;
    }

    [Fact]
    public async Task A_refused_event_is_kept_with_its_reasons_and_replayed_after_the_fix_is_stored_once()
    {
        // A client whose clock runs 30 hours ahead: its events are refused (more than 24 h in the future) until time catches up.
        var clock = new MovableClock();
        var gateway = await Cluster.StartGatewayAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var (tenantId, _, client) = await NewTenantAsync("rejected", gateway);
        var ahead = Guid.CreateVersion7();
        var sent = new JsonObject
        {
            ["events"] = new JsonArray(
                new JsonObject { ["id"] = ahead.ToString(), ["type"] = "lesson", ["user_id"] = "u1", ["timestamp"] = DateTimeOffset.UtcNow.AddHours(30).ToString("O"), ["properties"] = new JsonObject { ["note"] = "é\u0001" } },
                new JsonObject { ["type"] = "lesson", ["status"] = "maybe" },
                new JsonObject { ["type"] = "lesson" }),
        };
        using (var response = await client.PostAsJsonAsync("v1/events/batch", sent))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var page = await ListAsync(client, "?field=timestamp");
        var kept = Assert.Single(page.GetProperty("data").EnumerateArray());
        Assert.Equal((ahead, "native"), (kept.GetProperty("event_id").GetGuid(), kept.GetProperty("surface").GetString()));
        Assert.True(kept.GetProperty("errors").TryGetProperty("timestamp", out _), kept.GetRawText());
        Assert.Equal("é\u0001", kept.GetProperty("event").GetProperty("properties").GetProperty("note").GetString());
        var all = await ListAsync(client);
        Assert.Equal(2, all.GetProperty("data").GetArrayLength());
        var statusOnly = await ListAsync(client, "?field=status");
        Assert.Equal("maybe", Assert.Single(statusOnly.GetProperty("data").EnumerateArray()).GetProperty("event").GetProperty("status").GetString());
        var first = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/rejected?limit=1", UriKind.Relative))).RootElement;
        var second = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/rejected?limit=1&cursor={first.GetProperty("next_cursor").GetString()}", UriKind.Relative))).RootElement;
        Assert.NotEqual(first.GetProperty("data")[0].GetProperty("id").GetInt64(), second.GetProperty("data")[0].GetProperty("id").GetInt64());

        // Replayed too early it is refused again; once the clock caught up it is stored, with its id, once.
        var id = kept.GetProperty("id").GetInt64();
        async Task<JsonElement> ReplayAsync()
        {
            using var response = await client.PostAsJsonAsync("v1/rejected/replay", new { ids = new[] { id, 999_999_999_999 } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
        }
        Assert.Equal("rejected", (await ReplayAsync())[0].GetProperty("status").GetString());
        clock.Offset = TimeSpan.FromHours(8);
        var replayed = await ReplayAsync();
        Assert.Equal(("accepted", ahead), (replayed[0].GetProperty("status").GetString(), replayed[0].GetProperty("id").GetGuid()));
        Assert.Equal("not_found", replayed[1].GetProperty("status").GetString());
        Assert.Equal("duplicate", (await ReplayAsync())[0].GetProperty("status").GetString());
        Assert.Equal(1, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = @e", ("t", tenantId), ("e", ahead)));
        // The replays are noted on the kept copy, and a refused replay is not kept a second time.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var after = await ListAsync(client, "?field=timestamp");
        Assert.Equal("duplicate", Assert.Single(after.GetProperty("data").EnumerateArray()).GetProperty("replay_status").GetString());
    }

    [Fact]
    public async Task Each_tenant_keeps_its_newest_refused_events_up_to_its_bound_and_sees_only_its_own()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Rejected:MaxPerTenant"] = "5" });
        var (_, _, client) = await NewTenantAsync("rejected-bound", gateway);
        var events = new JsonArray([.. Enumerable.Range(0, 8).Select(i => (JsonNode)new JsonObject { ["type"] = "lesson", ["status"] = $"wrong-{i}" })]);
        using (var response = await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = events }))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }
        var page = await ListAsync(client);
        Assert.Equal(["wrong-7", "wrong-6", "wrong-5", "wrong-4", "wrong-3"],
            page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("event").GetProperty("status").GetString()));
        var (_, _, other) = await NewTenantAsync("rejected-other", gateway);
        var none = JsonDocument.Parse(await other.GetStringAsync(new Uri("v1/rejected", UriKind.Relative))).RootElement;
        Assert.Equal(0, none.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Rate_limited_events_are_kept_for_replay_only_when_the_tenant_opts_in()
    {
        // A burst of 1,000 at one event a second: after 1,000 events at once the tenant is refused for a while.
        var limited = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["RateLimit:EventsPerSecond"] = "1", ["RateLimit:Burst"] = "1000" });
        var (tenantId, key, client) = await NewTenantAsync("rejected-limited", limited);
        static JsonObject Batch(int count, string type) =>
            new() { ["events"] = new JsonArray([.. Enumerable.Range(0, count).Select(_ => (JsonNode)new JsonObject { ["id"] = Guid.CreateVersion7().ToString(), ["type"] = type, ["user_id"] = "u1" })]) };
        using (var burst = await client.PostAsJsonAsync("v1/events/batch", Batch(1000, "burst")))
        {
            Assert.Equal(HttpStatusCode.OK, burst.StatusCode);
        }
        using (var dropped = await client.PostAsJsonAsync("v1/events/batch", Batch(3, "not-kept")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, dropped.StatusCode);
        }

        Assert.False(JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/settings", UriKind.Relative))).RootElement.GetProperty("keep_rate_limited").GetBoolean());
        using (var optIn = await client.PatchAsync(new Uri("v1/settings", UriKind.Relative), IngestValidationTests.Json("""{"keep_rate_limited": true}""")))
        {
            Assert.Equal(HttpStatusCode.OK, optIn.StatusCode);
            Assert.True(JsonDocument.Parse(await optIn.Content.ReadAsStringAsync()).RootElement.GetProperty("keep_rate_limited").GetBoolean());
        }
        var keptBatch = Batch(4, "kept");
        using (var limitedAgain = await client.PostAsJsonAsync("v1/events/batch", keptBatch))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limitedAgain.StatusCode);
        }

        // Kept in the order they came: the later four, and none of the three before the tenant opted in.
        var page = await ListAsync(client, "?field=rate_limit");
        Assert.Equal(4, page.GetProperty("data").GetArrayLength());
        Assert.All(page.GetProperty("data").EnumerateArray(), e => Assert.Equal("kept", e.GetProperty("event").GetProperty("type").GetString()));
        var ids = page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToArray();

        // Replayed once the tenant is under its limit again (a client waits as Retry-After says): stored once, with their ids.
        JsonElement results = default;
        using var unlimited = Cluster.Gateways[0].CreateClient(key);
        await Eventually.HoldsAsync(async () =>
        {
            using var replay = await unlimited.PostAsJsonAsync("v1/rejected/replay", new { ids });
            if (replay.StatusCode == HttpStatusCode.TooManyRequests) return "still rate-limited";
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            results = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement.GetProperty("results");
            return null;
        }, TimeSpan.FromSeconds(30));
        Assert.All(results.EnumerateArray(), r => Assert.Equal("accepted", r.GetProperty("status").GetString()));
        var sent = keptBatch["events"]!.AsArray().Select(e => Guid.Parse(e!["id"]!.GetValue<string>())).ToHashSet();
        Assert.Equal(sent, results.EnumerateArray().Select(r => r.GetProperty("id").GetGuid()).ToHashSet());
        Assert.Equal(4, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND type = 'kept'", ("t", tenantId)));
        Assert.Equal(0, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND type = 'not-kept'", ("t", tenantId)));
    }

    [Theory]
    [InlineData("""{"keep_rate_limited": "yes"}""", "keep_rate_limited")]
    [InlineData("""{"keep_everything": true}""", "keep_everything")]
    [InlineData("""[true]""", "body")]
    public async Task A_bad_settings_change_is_refused_with_422_naming_the_setting(string body, string field)
    {
        var (_, _, client) = await NewTenantAsync("settings-bad");
        using var response = await client.PatchAsync(new Uri("v1/settings", UriKind.Relative), IngestValidationTests.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("from=yesterday", "from")]
    [InlineData("field=a%00b", "field")]
    [InlineData("limit=ten", "limit")]
    public async Task A_bad_query_is_refused_with_422_naming_the_parameter(string query, string field)
    {
        var (_, _, client) = await NewTenantAsync("rejected-bad");
        using var response = await client.GetAsync(new Uri($"v1/rejected?{query}", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        using var replay = await client.PostAsync(new Uri("v1/rejected/replay", UriKind.Relative), IngestValidationTests.Json("""{"ids": ["x"]}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, replay.StatusCode);
    }
}
