using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Compat;

/// <summary>Seed 000, the DSC 10 tutor logger: its documented calls, sent as its clients send them.</summary>
public sealed class TutorLoggerTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task The_documented_curl_call_answers_201_with_id_and_created_at_and_is_a_native_event()
    {
        var (_, key, client) = await NewTenantAsync("tutor");
        // Verbatim from the document's curl example (the base URL and a key are all a client changes).
        using var response = await client.PostAsync(new Uri("events", UriKind.Relative),
            IngestValidationTests.Json("""{"event_type": "query", "user_email": "user@ucsd.edu", "payload": {"question": "..."}}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var created = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = created.RootElement.GetProperty("id").GetGuid();
        var createdAt = created.RootElement.GetProperty("created_at").GetDateTimeOffset();
        Assert.True(Math.Abs((createdAt - DateTimeOffset.UtcNow).TotalMinutes) < 1);

        using var stored = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/events/{id}", UriKind.Relative)));
        Assert.Equal("query", stored.RootElement.GetProperty("type").GetString());
        Assert.Equal("user@ucsd.edu", stored.RootElement.GetProperty("user_id").GetString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"question": "..."}"""), JsonNode.Parse(stored.RootElement.GetProperty("properties").GetRawText())));
        Assert.Equal(createdAt, stored.RootElement.GetProperty("received_at").GetDateTimeOffset());
    }

    [Fact]
    public async Task The_browser_client_logs_without_a_key_into_the_operators_anonymous_tenant_from_an_allowed_origin()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("dsc10");
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["TELEMETRY_ANONYMOUS_TENANT"] = tenant,
            ["TELEMETRY_CORS_ORIGINS"] = "https://dsc10.ucsd.edu",
        });
        using var browser = gateway.CreateClient();

        // The TypeScript client's two examples: fetch(`${LOG_API}/events`, {method: "POST", headers: {"Content-Type": "application/json"}, body}).
        foreach (var body in new[]
        {
            """{"event_type":"tutor_query","user_email":"student@ucsd.edu","payload":{"question":"How do I filter a DataFrame?","assignment":"hw3"}}""",
            """{"event_type":"button_click","payload":{"button":"show_hint","problem":4}}""",
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("events", UriKind.Relative)) { Content = IngestValidationTests.Json(body) };
            request.Headers.Add("Origin", "https://dsc10.ucsd.edu");
            using var response = await browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal("https://dsc10.ucsd.edu", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        using var reader = gateway.CreateClient(key);
        using var page = JsonDocument.Parse(await reader.GetStringAsync(new Uri("v1/events", UriKind.Relative)));
        var events = page.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["button_click", "tutor_query"], events.Select(e => e.GetProperty("type").GetString()).Order());
        var click = events.Single(e => e.GetProperty("type").GetString() == "button_click");
        Assert.Equal(JsonValueKind.Null, click.GetProperty("user_id").ValueKind);
        Assert.Equal(4, click.GetProperty("properties").GetProperty("problem").GetInt32());

        // Keyless only where the operator allowed it; a wrong key is still refused.
        using var elsewhere = Cluster.Gateways[0].CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json("""{"event_type": "x"}"""))).StatusCode);
        using var wrong = gateway.CreateClient("tlm_" + new string('0', 32) + "_" + new string('A', 43));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json("""{"event_type": "x"}"""))).StatusCode);
    }

    [Theory]
    [InlineData("""{"user_email": "a@b.c"}""", "event_type")]
    [InlineData("""{"event_type": ""}""", "event_type")]
    [InlineData("""{"event_type": "x", "payload": "not an object"}""", "payload")]
    [InlineData("""{"event_type": "x", "user_email": ""}""", "user_email")]
    public async Task A_bad_event_is_refused_with_422_in_its_own_field_names(string body, string field)
    {
        var (_, key, client) = await NewTenantAsync("tutor-bad");
        using var response = await client.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
    }

    [Fact]
    public async Task Fields_it_did_not_document_are_kept_not_dropped()
    {
        var (_, key, client) = await NewTenantAsync("tutor-extra");
        using var response = await client.PostAsync(new Uri("events", UriKind.Relative),
            IngestValidationTests.Json("""{"event_type": "x", "payload": {"a": 1}, "client_version": "2.1", "ab_group": 3}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        using var stored = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/events/{id}", UriKind.Relative)));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a": 1, "_extra": {"client_version": "2.1", "ab_group": 3}}"""),
            JsonNode.Parse(stored.RootElement.GetProperty("properties").GetRawText())));
    }
}
