using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary>Every endpoint of the contract: tenant B never sees A's data, and every key gets exactly its scopes.</summary>
public sealed class IsolationAndScopeTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    /// <summary>Every keyed endpoint: method, path (with {event}, {user}, {key} to fill in), body, and the scope it needs.</summary>
    public static TheoryData<string, string, string?, string> Endpoints => new()
    {
        { "POST", "v1/events", """{"type": "scoped"}""", "ingest" },
        { "POST", "v1/events/batch", """{"events": [{"type": "scoped"}]}""", "ingest" },
        { "GET", "v1/events", null, "read" },
        { "GET", "v1/events/{event}", null, "read" },
        { "GET", "v1/events/export?format=csv", null, "read" },
        { "GET", "v1/metrics/overview", null, "read" },
        { "GET", "v1/metrics/categories", null, "read" },
        { "GET", "v1/metrics/timeseries", null, "read" },
        { "GET", "v1/users/{user}/metrics", null, "read" },
        { "GET", "v1/stream", null, "read" },
        { "POST", "v1/keys", """{"name": "made", "scopes": ["read"]}""", "admin" },
        { "GET", "v1/keys", null, "admin" },
        { "DELETE", "v1/keys/{key}", null, "admin" },
        { "DELETE", "v1/users/{user}", null, "admin" },
        { "GET", "v1/erasures", null, "admin" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Each_key_reaches_an_endpoint_exactly_when_it_has_the_scope(string method, string path, string? body, string scope)
    {
        var (tenant, admin, owner) = await NewTenantAsync("scope");
        var eventId = Guid.NewGuid();
        (await owner.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json($$"""{"id": "{{eventId}}", "type": "seed", "user_id": "u1"}"""))).EnsureSuccessStatusCode();
        await Eventually.HoldsAsync(async () => (await owner.GetAsync(new Uri("v1/users/u1/metrics", UriKind.Relative))).IsSuccessStatusCode ? null : "user not counted yet");

        foreach (var (name, scopes) in new[] { ("ingest", KeyScopes.Ingest), ("read", KeyScopes.Read), ("admin", KeyScopes.Admin) })
        {
            var key = await Cluster.Keys.CreateKeyAsync(tenant, name, scopes);
            var victim = await Cluster.Keys.CreateKeyAsync(tenant, "victim", KeyScopes.Read);
            using var client = Cluster.Gateways[1].CreateClient(key.Key);
            using var response = await SendAsync(client, method, Fill(path, eventId, "u1", victim.KeyId), body);
            if (name == scope) Assert.True(response.IsSuccessStatusCode, $"{name} key on {method} {path}: {(int)response.StatusCode}");
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{name} key on {method} {path}: {(int)response.StatusCode}");
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("Authorization", out _));
            }
        }

        using var anonymous = Cluster.Gateways[1].CreateClient();
        using var refused = await SendAsync(anonymous, method, Fill(path, eventId, "u1", Guid.NewGuid()), body);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Tenant_b_with_every_scope_never_sees_counts_or_finds_anything_of_tenant_a()
    {
        var (_, keyA) = await Cluster.CreateTenantAsync("iso-a");
        var (_, keyB) = await Cluster.CreateTenantAsync("iso-b");
        using var a = Cluster.Gateways[0].CreateClient(keyA);
        using var b = Cluster.Gateways[1].CreateClient(keyB);
        var secretType = "secret-" + Guid.NewGuid().ToString("N")[..8];
        var eventId = Guid.NewGuid();
        (await a.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json($$"""{"id": "{{eventId}}", "type": "{{secretType}}", "user_id": "alice", "session_id": "s-a", "environment": "prod-a"}"""))).EnsureSuccessStatusCode();
        using var madeKey = JsonDocument.Parse(await (await a.PostAsJsonAsync("v1/keys", new { name = "a-key", scopes = new[] { "read" } })).Content.ReadAsStringAsync());
        var keyIdA = madeKey.RootElement.GetProperty("id").GetGuid();
        var keyAValue = madeKey.RootElement.GetProperty("key").GetString()!;
        await Eventually.HoldsAsync(async () => (await a.GetAsync(new Uri("v1/users/alice/metrics", UriKind.Relative))).IsSuccessStatusCode ? null : "alice not counted yet");

        // Everything B can ask, and what it must never contain.
        foreach (var path in new[]
        {
            "v1/events", "v1/events?user_id=alice", $"v1/events?type={secretType}", "v1/events?session_id=s-a", "v1/events?environment=prod-a",
            "v1/events/export?format=ndjson", "v1/events/export?format=csv&user_id=alice",
            "v1/metrics/overview?window=all", "v1/metrics/categories?window=all", "v1/keys",
        })
        {
            using var response = await b.GetAsync(new Uri(path, UriKind.Relative));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
            Assert.DoesNotContain(secretType, text, StringComparison.Ordinal);
            Assert.DoesNotContain(eventId.ToString(), text, StringComparison.Ordinal);
            Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
            Assert.DoesNotContain(keyIdA.ToString(), text, StringComparison.Ordinal);
        }
        using (var overview = JsonDocument.Parse(await b.GetStringAsync(new Uri("v1/metrics/overview?window=all", UriKind.Relative))))
        {
            Assert.Equal(0, overview.RootElement.GetProperty("total").GetInt64());
        }
        // The series echoes the type asked for; its counts must all be 0.
        using (var series = JsonDocument.Parse(await b.GetStringAsync(new Uri($"v1/metrics/timeseries?window=15m&type={secretType}", UriKind.Relative))))
        {
            Assert.All(series.RootElement.GetProperty("data").EnumerateArray(), p => Assert.Equal(0, p.GetProperty("count").GetInt64()));
        }

        // Ids of A's things answer as ids that do not exist.
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync(new Uri($"v1/events/{eventId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.GetAsync(new Uri("v1/users/alice/metrics", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.DeleteAsync(new Uri($"v1/keys/{keyIdA}", UriKind.Relative))).StatusCode);

        // B reusing A's event id stores B's own event: a duplicate answer would tell B that A has that id.
        using (var reuse = await b.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json($$"""{"id": "{{eventId}}", "type": "mine"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, reuse.StatusCode);
        }
        using (var mine = JsonDocument.Parse(await a.GetStringAsync(new Uri($"v1/events/{eventId}", UriKind.Relative))))
        {
            Assert.Equal(secretType, mine.RootElement.GetProperty("type").GetString());
        }

        // B's live stream carries B's metrics only.
        await using (var stream = await SseClient.ConnectAsync(b))
        {
            var first = await stream.NextAsync(TimeSpan.FromSeconds(5));
            Assert.Equal("metrics", first?.Type);
            Assert.DoesNotContain(secretType, first!.Data.GetRawText(), StringComparison.Ordinal);
        }

        // A's key still works: B could not revoke it.
        using var aReader = Cluster.Gateways[0].CreateClient(keyAValue);
        Assert.Equal(HttpStatusCode.OK, (await aReader.GetAsync(new Uri("v1/metrics/overview", UriKind.Relative))).StatusCode);
    }

    private static string Fill(string path, Guid eventId, string user, Guid keyId) =>
        path.Replace("{event}", eventId.ToString(), StringComparison.Ordinal).Replace("{user}", user, StringComparison.Ordinal).Replace("{key}", keyId.ToString(), StringComparison.Ordinal);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = IngestValidationTests.Json(body);
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
