using Telemetry.Storage;

namespace Telemetry.Tests.Alerts;

/// <summary><c>/v1/alerts</c>: rules created, read, replaced and deleted per tenant, refused field by field when wrong.</summary>
public sealed class AlertRulesApiTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    private static JsonObject Rule(string target, Action<JsonObject>? change = null)
    {
        var rule = new JsonObject
        {
            ["name"] = "login errors",
            ["metric"] = "error_rate",
            ["category"] = "login",
            ["window"] = "1h",
            ["comparison"] = ">",
            ["threshold"] = 0.05,
            ["min_events"] = 20,
            ["severity"] = "error",
            ["targets"] = new JsonArray(target),
        };
        change?.Invoke(rule);
        return rule;
    }

    [Fact]
    public async Task A_rule_is_created_listed_read_replaced_and_deleted_and_its_secret_is_shown_only_at_creation()
    {
        var (_, _, client) = await NewTenantAsync("alerts-crud");
        using var created = await client.PostAsJsonAsync("v1/alerts", Rule("https://hooks.example.com/a"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        var rule = body.GetProperty("rule");
        var id = rule.GetProperty("id").GetGuid();
        Assert.StartsWith("whsec_", body.GetProperty("secret").GetString(), StringComparison.Ordinal);
        Assert.Equal($"/v1/alerts/{id}", created.Headers.Location?.ToString());
        Assert.Equal(("error_rate", "login", "1h", ">", 0.05, 20, "error", "ok"), (rule.GetProperty("metric").GetString(), rule.GetProperty("category").GetString(),
            rule.GetProperty("window").GetString(), rule.GetProperty("comparison").GetString(), rule.GetProperty("threshold").GetDouble(),
            rule.GetProperty("min_events").GetInt32(), rule.GetProperty("severity").GetString(), rule.GetProperty("state").GetString()));

        var listed = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/alerts", UriKind.Relative))).RootElement.GetProperty("data");
        Assert.Equal(id, Assert.Single(listed.EnumerateArray()).GetProperty("id").GetGuid());
        Assert.DoesNotContain("whsec_", listed.GetRawText(), StringComparison.Ordinal);

        using var replaced = await client.PutAsJsonAsync($"v1/alerts/{id}", Rule("https://hooks.example.com/b", r => r["threshold"] = 0.2));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        var read = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/alerts/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(0.2, read.GetProperty("threshold").GetDouble());
        Assert.Equal("https://hooks.example.com/b", read.GetProperty("targets")[0].GetString());

        using var deleted = await client.DeleteAsync(new Uri($"v1/alerts/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync(new Uri($"v1/alerts/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    public static TheoryData<string, string> BadRules => new()
    {
        { """{"metric":"error_rate","comparison":">","threshold":0.1,"targets":["https://h.example.com/"]}""", "name" },
        { """{"name":"x","metric":"p99","comparison":">","threshold":0.1,"targets":["https://h.example.com/"]}""", "metric" },
        { """{"name":"x","metric":"error_rate","comparison":"!=","threshold":0.1,"targets":["https://h.example.com/"]}""", "comparison" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":1.5,"targets":["https://h.example.com/"]}""", "threshold" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"resolve_threshold":0.2,"targets":["https://h.example.com/"]}""", "resolve_threshold" },
        { """{"name":"x","metric":"event_count","comparison":"<","threshold":-1,"targets":["https://h.example.com/"]}""", "threshold" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"window":"5m","targets":["https://h.example.com/"]}""", "window" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"min_events":0,"targets":["https://h.example.com/"]}""", "min_events" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"severity":"fatal","targets":["https://h.example.com/"]}""", "severity" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"targets":[]}""", "targets" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"targets":["ftp://h.example.com/"]}""", "targets[0]" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"targets":["https://user:pw@h.example.com/"]}""", "targets[0]" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"targets":["https://h.example.com/"],"query":"DROP"}""", "query" },
        { """{"name":"a\u0000b","metric":"error_rate","comparison":">","threshold":0.1,"targets":["https://h.example.com/"]}""", "name" },
        { """["not", "an", "object"]""", "body" },
        { """{"\ud800":1,"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"targets":["https://h.example.com/"]}""", "body" },
        { """{"name":"x","metric":"\ud800","comparison":">","threshold":0.1,"targets":["https://h.example.com/"]}""", "metric" },
        { """{"name":"x","metric":"error_rate","comparison":">","threshold":0.1,"window":"\udc00","targets":["https://h.example.com/"]}""", "window" },
    };

    [Theory]
    [MemberData(nameof(BadRules))]
    public async Task A_bad_rule_is_refused_with_422_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        var (tenantId, _, client) = await NewTenantAsync("alerts-bad");
        using var response = await client.PostAsync(new Uri("v1/alerts", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        Assert.Empty(await new AlertRuleStore(Cluster.Database).ListAsync(tenantId));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://10.0.0.7/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fd00::1]/hook")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/hook")]
    [InlineData("http://[2002:a9fe:a9fe::1]/hook")]
    [InlineData("http://[::a9fe:a9fe]/hook")]
    public async Task A_target_in_the_clusters_own_network_is_refused_unless_private_addresses_are_allowed(string target)
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Alerts:AllowPrivateAddresses"] = "false" });
        var (_, _, client) = await NewTenantAsync("alerts-ssrf", gateway);
        using var response = await client.PostAsJsonAsync("v1/alerts", Rule(target));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("targets[0]", text, StringComparison.Ordinal);
        using var allowed = await client.PostAsJsonAsync("v1/alerts", Rule("https://hooks.example.com/x"));
        Assert.Equal(HttpStatusCode.Created, allowed.StatusCode);
    }

    [Fact]
    public async Task A_tenant_cannot_have_more_rules_than_its_bound()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Alerts:MaxRulesPerTenant"] = "2" });
        var (_, _, client) = await NewTenantAsync("alerts-cap", gateway);
        for (var i = 0; i < 2; i++)
        {
            using var created = await client.PostAsJsonAsync("v1/alerts", Rule("https://hooks.example.com/a"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        using var refused = await client.PostAsJsonAsync("v1/alerts", Rule("https://hooks.example.com/a"));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("MaxRulesPerTenant", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[fe80::1]/hook")]
    public async Task A_link_local_target_is_refused_even_where_private_addresses_are_allowed(string target)
    {
        var (_, _, client) = await NewTenantAsync("alerts-metadata");
        using var response = await client.PostAsJsonAsync("v1/alerts", Rule(target));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.Contains("link-local", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_rules_needs_the_admin_scope_reading_them_the_read_scope_and_another_tenants_rule_is_not_found()
    {
        var (tenantId, _, admin) = await NewTenantAsync("alerts-scope");
        using var created = await admin.PostAsJsonAsync("v1/alerts", Rule("https://hooks.example.com/a"));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("rule").GetProperty("id").GetGuid();

        var reader = await Cluster.Keys.CreateKeyAsync(tenantId, "reader", KeyScopes.Read);
        using var readOnly = Cluster.Gateways[0].CreateClient(reader.Key);
        using var refused = await readOnly.PostAsJsonAsync("v1/alerts", Rule("https://hooks.example.com/a"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var notDeleted = await readOnly.DeleteAsync(new Uri($"v1/alerts/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, notDeleted.StatusCode);
        using var listed = await readOnly.GetAsync(new Uri("v1/alerts", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);

        var writer = await Cluster.Keys.CreateKeyAsync(tenantId, "writer", KeyScopes.Ingest);
        using var ingestOnly = Cluster.Gateways[0].CreateClient(writer.Key);
        using var unread = await ingestOnly.GetAsync(new Uri("v1/alerts", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, unread.StatusCode);

        var (_, _, other) = await NewTenantAsync("alerts-other");
        foreach (var path in new[] { $"v1/alerts/{id}", $"v1/alerts/{id}/events" })
        {
            using var foreign = await other.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }
        using var foreignDelete = await other.DeleteAsync(new Uri($"v1/alerts/{id}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, foreignDelete.StatusCode);
        using var badLimit = await admin.GetAsync(new Uri($"v1/alerts/{id}/events?limit=ten", UriKind.Relative));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badLimit.StatusCode);
    }
}
