using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary><c>/v1/keys</c>: keys created, listed without their secret, revoked everywhere at once.</summary>
public sealed class KeysApiTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task A_created_key_works_with_its_scopes_is_listed_without_its_secret_and_stops_at_once_when_revoked()
    {
        var (tenant, admin, client) = await NewTenantAsync("keys");

        using var created = await client.PostAsJsonAsync("v1/keys", new { name = "browser app", scopes = new[] { "ingest" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetGuid();
        var key = body.RootElement.GetProperty("key").GetString()!;
        Assert.StartsWith(ApiKeyFormat.Prefix, key, StringComparison.Ordinal);
        Assert.Equal(["ingest"], body.RootElement.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal($"/v1/keys/{id}", created.Headers.Location?.ToString());

        // At least 128 random bits: the secret part alone is 43 base64url characters (256 bits).
        var secret = key[(ApiKeyFormat.Prefix.Length + 33)..];
        Assert.True(secret.Length >= 22);
        // Stored only as a hash.
        Assert.Equal(0, await new SqlTruth(Cluster.Database).CountAsync(
            "SELECT count(*) FROM api_keys WHERE position(convert_to(@k, 'UTF8') in secret_hash) > 0 OR name = @k", ("k", key)));

        using var browser = Cluster.Gateways[1].CreateClient(key);
        Assert.Equal(HttpStatusCode.Created, (await browser.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "a"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(new Uri("v1/events", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(new Uri("v1/keys", UriKind.Relative))).StatusCode);

        var listed = await client.GetStringAsync(new Uri("v1/keys", UriKind.Relative));
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        using (var list = JsonDocument.Parse(listed))
        {
            var items = list.RootElement.GetProperty("data").EnumerateArray().ToList();
            Assert.Equal(2, items.Count);
            Assert.Contains(items, i => i.GetProperty("id").GetGuid() == id && i.GetProperty("revoked_at").ValueKind == JsonValueKind.Null);
            Assert.All(items, i => Assert.False(i.TryGetProperty("key", out _)));
        }

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(new Uri($"v1/keys/{id}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync(new Uri($"v1/keys/{id}", UriKind.Relative))).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "a"}"""))).StatusCode);
        using (var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/keys", UriKind.Relative))))
        {
            Assert.Contains(list.RootElement.GetProperty("data").EnumerateArray(), i => i.GetProperty("id").GetGuid() == id && i.GetProperty("revoked_at").ValueKind == JsonValueKind.String);
        }
        _ = tenant;
    }

    [Fact]
    public async Task A_key_revoked_through_one_gateway_is_refused_by_a_gateway_process_within_a_second()
    {
        var port = LoopbackPort.Free();
        var settings = new Dictionary<string, string?>(Cluster.Settings)
        {
            ["TELEMETRY_HTTP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TELEMETRY_GRPC_PORT"] = LoopbackPort.FreeSetting(),
        };
        await using var process = ServiceProcess.Start("gateway", "gateway-process", settings);
        using var remote = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await Eventually.HoldsAsync(async () =>
        {
            if (process.HasExited) return "the gateway process exited:\n" + process.Output;
            try
            {
                return (await remote.GetAsync(new Uri("health/ready", UriKind.Relative))).IsSuccessStatusCode ? null : "not ready";
            }
            catch (HttpRequestException ex)
            {
                return ex.Message;
            }
        }, TimeSpan.FromSeconds(60));

        var (tenant, admin) = await Cluster.CreateTenantAsync("revoke-proc");
        var leaked = await Cluster.Keys.CreateKeyAsync(tenant, "leaked", KeyScopes.Ingest);
        remote.DefaultRequestHeaders.Authorization = new("Bearer", leaked.Key);
        Assert.Equal(HttpStatusCode.Created, (await remote.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "before"}"""))).StatusCode);

        using var owner = Cluster.Gateways[0].CreateClient(admin);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync(new Uri($"v1/keys/{leaked.KeyId}", UriKind.Relative))).StatusCode);
        var revoked = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            status = (await remote.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "after"}"""))).StatusCode;
        }
        while (status != HttpStatusCode.Unauthorized && revoked.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(revoked.Elapsed < TimeSpan.FromSeconds(1), $"refused after {revoked.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Another_tenants_key_an_unknown_key_and_a_malformed_id_answer_404_and_stay_untouched()
    {
        var (_, adminA) = await Cluster.CreateTenantAsync("owner");
        var (_, adminB) = await Cluster.CreateTenantAsync("intruder");
        using var a = Cluster.Gateways[0].CreateClient(adminA);
        using var b = Cluster.Gateways[0].CreateClient(adminB);
        using var created = JsonDocument.Parse(await (await a.PostAsJsonAsync("v1/keys", new { name = "ci", scopes = new[] { "read" } })).Content.ReadAsStringAsync());
        var id = created.RootElement.GetProperty("id").GetGuid();
        var key = created.RootElement.GetProperty("key").GetString()!;

        foreach (var path in new[] { $"v1/keys/{id}", $"v1/keys/{Guid.NewGuid()}", "v1/keys/nope" })
        {
            using var response = await b.DeleteAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.DoesNotContain(id.ToString(), await b.GetStringAsync(new Uri("v1/keys", UriKind.Relative)), StringComparison.Ordinal);
        using var reader = Cluster.Gateways[1].CreateClient(key);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(new Uri("v1/events", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("""{"scopes": ["read"]}""", "name")]
    [InlineData("""{"name": "", "scopes": ["read"]}""", "name")]
    [InlineData("""{"name": "x\ny", "scopes": ["read"]}""", "name")]
    [InlineData("""{"name": 5, "scopes": ["read"]}""", "name")]
    [InlineData("""{"name": "x"}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": []}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["root"]}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": "read"}""", "scopes")]
    [InlineData("""{"name": "x", "scopes": ["read"], "tenant": "other"}""", "tenant")]
    [InlineData("""["x"]""", "body")]
    public async Task A_bad_key_request_is_refused_with_422_naming_the_field(string body, string field)
    {
        var (_, admin, client) = await NewTenantAsync("badkey");
        using var response = await client.PostAsync(new Uri("v1/keys", UriKind.Relative), IngestValidationTests.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        using var list = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/keys", UriKind.Relative)));
        Assert.Equal(1, list.RootElement.GetProperty("data").GetArrayLength());
    }
}
