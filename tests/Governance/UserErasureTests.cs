using Npgsql;
using Orleans.Runtime;

namespace Telemetry.Tests.Governance;

/// <summary>
/// <c>DELETE /v1/users/{id}</c>: a user's events, rollup counts, grain state and refused events erased by a job that
/// outlives its silo, live metrics equal to SQL afterwards, the request kept as an audit record.
/// </summary>
public sealed class UserErasureTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    private static readonly string[] Types = ["lesson", "quiz", "hint"];

    /// <summary>Events of one user over the last three days: every kind of bucket gets some.</summary>
    internal static JsonObject[] EventsOf(string user, int count, int seed)
    {
        var random = new Random(seed);
        var now = DateTimeOffset.UtcNow;
        return [.. Enumerable.Range(0, count).Select(i => new JsonObject
        {
            ["id"] = Guid.CreateVersion7().ToString(),
            ["type"] = Types[i % Types.Length],
            ["user_id"] = user,
            ["status"] = random.Next(3) switch { 0 => "success", 1 => "failure", _ => null },
            ["duration_ms"] = random.Next(2) == 0 ? random.Next(1, 5000) : null,
            ["timestamp"] = (now - TimeSpan.FromSeconds(random.Next(0, 3 * 86_400))).ToString("O"),
        })];
    }

    /// <summary>Posts the events in batches of 1,000, four at a time, each until acknowledged (429 and 503 wait and retry).</summary>
    internal static async Task PostAllAsync(HttpClient client, IReadOnlyList<JsonObject> events)
    {
        var batches = events.Chunk(1000).Select(b => new JsonObject { ["events"] = new JsonArray([.. b.Select(e => e.DeepClone())]) }.ToJsonString()).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (body, cancellationToken) =>
        {
            for (var attempt = 0; ; attempt++)
            {
                using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);
                if (response.IsSuccessStatusCode) return;
                Assert.True(response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && attempt < 100,
                    $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        });
    }

    internal static async Task<JsonElement> EraseAsync(HttpClient client, string user, string query = "")
    {
        using var response = await client.DeleteAsync(new Uri($"v1/users/{Uri.EscapeDataString(user)}{query}", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        var erasure = JsonDocument.Parse(body).RootElement;
        Assert.Equal($"/v1/erasures/{erasure.GetProperty("id").GetGuid()}", response.Headers.Location?.OriginalString);
        return erasure;
    }

    internal static async Task<JsonElement> WaitUntilDoneAsync(HttpClient client, Guid id, TimeSpan within)
    {
        JsonElement erasure = default;
        await Eventually.HoldsAsync(async () =>
        {
            erasure = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/erasures/{id}", UriKind.Relative))).RootElement;
            var status = erasure.GetProperty("status").GetString();
            Assert.NotEqual("failed", status);
            return status == "done" ? null : $"{status}: {erasure.GetProperty("events_erased").GetInt64()} erased";
        }, within);
        return erasure;
    }

    internal static async Task<string?> UserLeftTraceAsync(HttpClient client, SqlTruth sql, string tenantId, string user)
    {
        if (await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND user_id = @u", ("t", tenantId), ("u", user)) is var stored and > 0)
        {
            return $"{stored} events of the user stored";
        }
        using (var metrics = await client.GetAsync(new Uri($"v1/users/{Uri.EscapeDataString(user)}/metrics", UriKind.Relative)))
        {
            if (metrics.StatusCode != HttpStatusCode.NotFound) return $"user metrics answered {(int)metrics.StatusCode}: {await metrics.Content.ReadAsStringAsync()}";
        }
        var page = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/events?user_id={Uri.EscapeDataString(user)}", UriKind.Relative))).RootElement;
        if (page.GetProperty("data").GetArrayLength() > 0) return "the query finds the user's events";
        var export = await client.GetStringAsync(new Uri("v1/events/export?format=ndjson", UriKind.Relative));
        return export.Contains($"\"user_id\":\"{user}\"", StringComparison.Ordinal) ? "the export holds the user's events" : null;
    }

    [Fact]
    public async Task Erasing_a_user_with_100000_events_under_concurrent_ingest_leaves_metrics_equal_to_sql_and_no_trace_of_the_user()
    {
        var (tenantId, key, client) = await NewTenantAsync("erase");
        var sql = new SqlTruth(Cluster.Database);
        const string user = "learner-to-forget";
        var started = Stopwatch.StartNew();
        var doomed = EventsOf(user, 100_000, seed: 1);
        await PostAllAsync(client, doomed);
        output.WriteLine($"100,000 events of the user stored in {started.Elapsed.TotalSeconds:F1} s");

        // Other users of the tenant keep sending all along, their clients retrying as the contract asks.
        await using var load = new RetryingLoad(() => Cluster.Gateways[0].BaseAddress, RetryingLoad.Users("other", 50));
        load.AddTenant(tenantId, key);
        await load.StartAsync(workers: 2, batches: 20);

        // The user's grain keeps a snapshot of its metrics, keyed by tenant and user id: the erasure must take the row away.
        const string snapshotRows = "SELECT count(*) FROM orleans_storage WHERE grain_id_extension = @key";
        await Eventually.HoldsAsync(async () => await sql.CountAsync(snapshotRows, ("key", $"{tenantId}/{user}")) > 0 ? null : "no snapshot yet", TimeSpan.FromSeconds(30));

        started.Restart();
        var erasure = await EraseAsync(client, user);
        Assert.Equal(("pending", false), (erasure.GetProperty("status").GetString(), erasure.GetProperty("forget_ids").GetBoolean()));
        var again = await EraseAsync(client, user);
        Assert.Equal(erasure.GetProperty("id").GetGuid(), again.GetProperty("id").GetGuid()); // asking twice erases once
        var done = await WaitUntilDoneAsync(client, erasure.GetProperty("id").GetGuid(), TimeSpan.FromMinutes(3));
        output.WriteLine($"erased in {started.Elapsed.TotalSeconds:F1} s while {load.Batches} batches of others were sent");
        await load.StopAsync();
        Assert.Empty(load.Unexpected);

        Assert.Equal((100_000, 0), (done.GetProperty("events_erased").GetInt64(), done.GetProperty("ids_forgotten").GetInt64()));
        var keyId = await sql.CountAsync("SELECT count(*) FROM api_keys WHERE tenant_id = @t AND key_id = @k", ("t", tenantId), ("k", done.GetProperty("requested_by").GetProperty("key_id").GetGuid()));
        Assert.Equal(1, keyId);
        Assert.False(string.IsNullOrEmpty(done.GetProperty("requested_by").GetProperty("key_name").GetString()));
        Assert.Null(await UserLeftTraceAsync(client, sql, tenantId, user));
        Assert.Equal(0, await sql.CountAsync(snapshotRows, ("key", $"{tenantId}/{user}")));
        Assert.True(load.Acknowledged(tenantId).Count > 0);
        Assert.Equal(load.Acknowledged(tenantId).Count, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenantId)));

        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId), TimeSpan.FromSeconds(30));
        await using var stream = await SseClient.ConnectAsync(client);
        var pushed = await stream.WaitForAsync("metrics", _ => true, TimeSpan.FromSeconds(5));
        Assert.NotNull(pushed);
        var overview = pushed.Data.GetProperty("overview");
        var from = DateTimeOffset.Parse(overview.GetProperty("from").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal((await sql.TotalsAsync(tenantId, from)).Count, overview.GetProperty("total").GetInt64());

        // The ids stay known: a client replaying its old events cannot bring the user back.
        using var replay = await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = new JsonArray(doomed[0].DeepClone(), doomed[99_999].DeepClone()) });
        var results = JsonDocument.Parse(await replay.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, results.GetProperty("duplicates").GetInt64());
        Assert.Null(await UserLeftTraceAsync(client, sql, tenantId, user));
    }

    [Fact]
    public async Task Later_events_are_kept_forgotten_ids_can_come_back_and_refused_events_go_with_the_user()
    {
        var (tenantId, _, client) = await NewTenantAsync("erase-ids");
        var sql = new SqlTruth(Cluster.Database);
        var before = EventsOf("u1", 300, seed: 2);
        await PostAllAsync(client, before);
        await PostAllAsync(client, EventsOf("u2", 50, seed: 3));
        // A refused event of the user (a status outside the contract, a NUL escaped in its properties, which jsonb cannot
        // hold) is kept with what it held, until the erasure.
        using (var refused = await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = new JsonArray(new JsonObject { ["type"] = "lesson", ["user_id"] = "u1", ["status"] = "maybe", ["properties"] = new JsonObject { ["note"] = "\0" } }) }))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        }
        await Eventually.HoldsAsync(async () => await sql.CountAsync("SELECT count(*) FROM rejected_events WHERE tenant_id = @t", ("t", tenantId)) == 1 ? null : "not kept yet", TimeSpan.FromSeconds(10));

        var erasure = await EraseAsync(client, "u1", "?forget_ids=true");
        var later = EventsOf("u1", 5, seed: 4); // sent after the request was answered: not part of it
        await PostAllAsync(client, later);
        var done = await WaitUntilDoneAsync(client, erasure.GetProperty("id").GetGuid(), TimeSpan.FromMinutes(1));
        Assert.Equal((300, 300, 1), (done.GetProperty("events_erased").GetInt64(), done.GetProperty("ids_forgotten").GetInt64(), done.GetProperty("rejected_erased").GetInt64()));
        Assert.Equal(5, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND user_id = 'u1'", ("t", tenantId)));
        Assert.Equal(0, await sql.CountAsync("SELECT count(*) FROM rejected_events WHERE tenant_id = @t", ("t", tenantId)));
        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, "u1"), TimeSpan.FromSeconds(10));
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId), TimeSpan.FromSeconds(10));

        // Forgotten ids are new again: the client that sends them again stores them again, and they count.
        using var resent = await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = new JsonArray(before[0].DeepClone()) });
        Assert.Equal(1, JsonDocument.Parse(await resent.Content.ReadAsStringAsync()).RootElement.GetProperty("accepted").GetInt64());
        await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, "u1"), TimeSpan.FromSeconds(10));

        var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/erasures?limit=1", UriKind.Relative))).RootElement;
        Assert.Equal(erasure.GetProperty("id").GetGuid(), Assert.Single(list.GetProperty("data").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(JsonValueKind.String, list.GetProperty("next_cursor").ValueKind);
        var rest = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/erasures?cursor={list.GetProperty("next_cursor").GetString()}", UriKind.Relative))).RootElement;
        Assert.Equal(0, rest.GetProperty("data").GetArrayLength());
    }

    [Theory]
    [InlineData("DELETE", "v1/users/u1?forget_ids=maybe", HttpStatusCode.UnprocessableEntity)]
    [InlineData("DELETE", "v1/users/%00", HttpStatusCode.BadRequest)] // Kestrel refuses a NUL in a path before routing
    [InlineData("DELETE", "v1/users/LONG", HttpStatusCode.UnprocessableEntity)]
    [InlineData("GET", "v1/erasures/not-an-id", HttpStatusCode.NotFound)]
    [InlineData("GET", "v1/erasures/0190a9a4-0000-7000-8000-000000000000", HttpStatusCode.NotFound)]
    [InlineData("GET", "v1/erasures?cursor=x", HttpStatusCode.UnprocessableEntity)]
    [InlineData("GET", "v1/erasures?limit=0", HttpStatusCode.UnprocessableEntity)]
    public async Task Hostile_requests_get_their_status(string method, string path, HttpStatusCode expected)
    {
        var (_, _, client) = await NewTenantAsync("erase-bad");
        path = path.Replace("LONG", new string('u', 257), StringComparison.Ordinal);
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)));
        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.BadRequest) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Only_an_admin_key_erases_and_a_tenant_sees_only_its_own_requests()
    {
        var (tenantId, _, admin) = await NewTenantAsync("erase-scope");
        var (_, _, stranger) = await NewTenantAsync("erase-other");
        var readKey = await Cluster.Keys.CreateKeyAsync(tenantId, "reader", KeyScopes.Read);
        using var reader = Cluster.Gateways[0].CreateClient(readKey.Key);
        using (var refused = await reader.DeleteAsync(new Uri("v1/users/u1", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        var erasure = await EraseAsync(admin, "u1");
        using var foreign = await stranger.GetAsync(new Uri($"v1/erasures/{erasure.GetProperty("id").GetGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var done = await WaitUntilDoneAsync(admin, erasure.GetProperty("id").GetGuid(), TimeSpan.FromSeconds(30));
        Assert.Equal(0, done.GetProperty("events_erased").GetInt64()); // a user with no events: nothing to do, recorded all the same
    }
}

/// <summary>The silo running an erasure killed half way: another silo takes the request over and no row is counted twice.</summary>
public sealed class UserErasureSiloKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TelemetryCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 1, new Dictionary<string, string?>
    {
        ["Erasure:ChunkEvents"] = "200",
        ["Erasure:Lease"] = "00:00:02",
        ["Erasure:PollInterval"] = "00:00:00.200",
    });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Killing_the_silo_that_runs_an_erasure_leaves_it_to_the_other_which_finishes_it_exactly()
    {
        var (tenantId, key) = await _cluster.CreateTenantAsync("erase-kill");
        using var client = _cluster.Gateways[0].CreateClient(key);
        var sql = new SqlTruth(_cluster.Database);
        await UserErasureTests.PostAllAsync(client, UserErasureTests.EventsOf("gone", 20_000, seed: 5));
        await UserErasureTests.PostAllAsync(client, UserErasureTests.EventsOf("stays", 2_000, seed: 6));
        // The tenant's metrics grain is active (and holds the user's counts) before the erasure starts.
        var comparison = new MetricsComparison(client, sql);
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId), TimeSpan.FromSeconds(30));

        var id = (await UserErasureTests.EraseAsync(client, "gone")).GetProperty("id").GetGuid();
        string? runner = null;
        await Eventually.HoldsAsync(async () =>
        {
            await using var command = _cluster.Database.CreateCommand("SELECT claimed_by, events_erased FROM erasures WHERE erasure_id = @id");
            command.Parameters.AddWithValue("id", id);
            await using var row = await command.ExecuteReaderAsync();
            await row.ReadAsync();
            runner = row.IsDBNull(0) ? null : row.GetString(0);
            return runner is not null && row.GetInt64(1) > 0 ? null : "not started";
        }, TimeSpan.FromSeconds(30));
        var victim = _cluster.Cluster.Silos.Single(s => s.SiloAddress.ToString() == runner);
        await _cluster.Cluster.KillSiloAsync(victim);
        output.WriteLine($"killed {runner}, which ran the erasure");

        var done = await UserErasureTests.WaitUntilDoneAsync(client, id, TimeSpan.FromMinutes(2));
        Assert.Equal(20_000, done.GetProperty("events_erased").GetInt64());
        Assert.Equal(2, await sql.CountAsync("SELECT attempts FROM erasures WHERE erasure_id = @id", ("id", id)));
        Assert.Null(await UserErasureTests.UserLeftTraceAsync(client, sql, tenantId, "gone"));
        await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenantId), TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => comparison.UserDiffersAsync(tenantId, "stays"), TimeSpan.FromSeconds(30));
    }
}
