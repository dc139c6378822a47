using System.Security.Cryptography;

namespace Telemetry.Tests.Alerts;

/// <summary>
/// Rules evaluated on the live metrics and delivered to a real HTTP receiver: within a second of the commit that crosses
/// them, once per change of state, signed, retried and given up on when the receiver fails.
/// </summary>
public sealed class AlertDeliveryTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1.5);

    private static async Task<DateTimeOffset> PostAsync(HttpClient client, string type, int failures, int successes)
    {
        var events = new JsonArray();
        for (var i = 0; i < failures + successes; i++)
        {
            events.Add(new JsonObject { ["type"] = type, ["user_id"] = "u1", ["status"] = i < failures ? "failure" : "success", ["duration_ms"] = 10 });
        }
        using var response = await client.PostAsJsonAsync("v1/events/batch", new JsonObject { ["events"] = events });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return DateTimeOffset.UtcNow;
    }

    private static async Task<(Guid Id, string Secret)> CreateRuleAsync(HttpClient client, JsonObject rule)
    {
        using var created = await client.PostAsJsonAsync("v1/alerts", rule);
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        var body = JsonDocument.Parse(text).RootElement;
        return (body.GetProperty("rule").GetProperty("id").GetGuid(), body.GetProperty("secret").GetString()!);
    }

    private static async Task<JsonElement> DeliveriesAsync(HttpClient client, Guid id) =>
        JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/alerts/{id}/events", UriKind.Relative))).RootElement.GetProperty("data");

    [Fact]
    public async Task A_rule_fires_within_a_second_of_the_commit_that_crosses_it_resolves_once_and_never_flaps_between_its_thresholds()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (tenantId, _, client) = await NewTenantAsync("alerts-fire");
        var (id, secret) = await CreateRuleAsync(client, new JsonObject
        {
            ["name"] = "login errors", ["metric"] = "error_rate", ["category"] = "login", ["window"] = "15m", ["comparison"] = ">",
            ["threshold"] = 0.5, ["resolve_threshold"] = 0.3, ["min_events"] = 4, ["severity"] = "error",
            ["targets"] = new JsonArray(receiver.Address.ToString()),
        });

        // Three failures are under the minimum of events; other types do not count for the category.
        await PostAsync(client, "login", failures: 3, successes: 0);
        await PostAsync(client, "search", failures: 20, successes: 0);
        await Task.Delay(Quiet);
        Assert.Empty(receiver.Requests);

        var crossed = await PostAsync(client, "login", failures: 1, successes: 0);
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(5));
        var firing = receiver.Requests[0];
        var latency = firing.At - crossed;
        output.WriteLine($"fired {latency.TotalMilliseconds:0} ms after the commit's answer");
        Assert.True(latency < TimeSpan.FromSeconds(1), $"fired {latency.TotalMilliseconds:0} ms after the commit that crossed the threshold");

        var body = firing.Json;
        Assert.Equal(("firing", "error", tenantId, id, 1.0, 0.5), (body.GetProperty("state").GetString(), body.GetProperty("severity").GetString(),
            body.GetProperty("service").GetString(), body.GetProperty("rule_id").GetGuid(), body.GetProperty("value").GetDouble(), body.GetProperty("threshold").GetDouble()));
        Assert.Contains("login errors", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(("error_rate", "15m", "login", 4), (body.GetProperty("context").GetProperty("metric").GetString(),
            body.GetProperty("context").GetProperty("window").GetString(), body.GetProperty("context").GetProperty("category").GetString(),
            body.GetProperty("context").GetProperty("events").GetInt32()));
        Assert.Equal(body.GetProperty("idempotency_key").GetString(), firing.Headers["Idempotency-Key"]);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(firing.Headers["X-Telemetry-Timestamp"] + "." + firing.Body)));
        Assert.Equal(expected, firing.Headers["X-Telemetry-Signature"]);

        // 4 failures of 10: between the thresholds, so it keeps firing without a word; 4 of 14 (0.29) resolves it.
        await PostAsync(client, "login", failures: 0, successes: 6);
        await Task.Delay(Quiet);
        Assert.Single(receiver.Requests);
        await PostAsync(client, "login", failures: 0, successes: 4);
        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(5));
        var resolved = receiver.Requests[1].Json;
        Assert.Equal("resolved", resolved.GetProperty("state").GetString());
        Assert.NotEqual(body.GetProperty("idempotency_key").GetString(), resolved.GetProperty("idempotency_key").GetString());

        // 5 of 15 (0.33) is under the firing threshold: nothing more.
        await PostAsync(client, "login", failures: 1, successes: 0);
        await Task.Delay(Quiet);
        Assert.Equal(2, receiver.Requests.Count);

        var rule = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/alerts/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(("ok", 2), (rule.GetProperty("state").GetString(), rule.GetProperty("changes").GetInt32()));
        var deliveries = await DeliveriesAsync(client, id);
        Assert.Equal(["resolved:delivered", "firing:delivered"], deliveries.EnumerateArray().Select(d => $"{d.GetProperty("state").GetString()}:{d.GetProperty("status").GetString()}"));
    }

    [Theory]
    [InlineData(500, 3)]
    [InlineData(410, 1)]
    public async Task A_failing_receiver_is_retried_with_the_same_key_then_given_up_and_the_failure_is_recorded(int status, int attempts)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Status = status;
        var (_, _, client) = await NewTenantAsync("alerts-fail");
        var (id, _) = await CreateRuleAsync(client, new JsonObject
        {
            ["name"] = "any event", ["metric"] = "event_count", ["comparison"] = ">=", ["threshold"] = 1,
            ["targets"] = new JsonArray(receiver.Address.ToString()),
        });
        await PostAsync(client, "signup", failures: 0, successes: 1);

        await Eventually.HoldsAsync(async () =>
        {
            var deliveries = await DeliveriesAsync(client, id);
            return deliveries.GetArrayLength() == 1 && deliveries[0].GetProperty("status").GetString() == "failed" ? null : deliveries.GetRawText();
        }, TimeSpan.FromSeconds(15));
        var delivery = (await DeliveriesAsync(client, id))[0];
        Assert.Equal((attempts, status), (delivery.GetProperty("attempts").GetInt32(), delivery.GetProperty("last_status").GetInt32()));
        Assert.Contains(status.ToString(CultureInfo.InvariantCulture), delivery.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        await Task.Delay(Quiet);
        Assert.Equal(attempts, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct());

        // The history is kept for a while: a record that ended 40 days ago goes at the next prune, this one stays.
        var sql = new SqlTruth(Cluster.Database);
        await sql.CountAsync("""
            WITH old AS (INSERT INTO alert_deliveries (rule_id, tenant_id, transition, state, target, body, status, finished_at)
                         SELECT rule_id, tenant_id, 99, 'firing', target, body, 'failed', now() - interval '40 days'
                         FROM alert_deliveries WHERE rule_id = @r RETURNING 1)
            SELECT count(*) FROM old
            """, ("r", id));
        Assert.Equal(2, await sql.CountAsync("SELECT count(*) FROM alert_deliveries WHERE rule_id = @r", ("r", id)));
        await new AlertDeliveryStore(Cluster.Database).PruneAsync(DateTimeOffset.UtcNow.AddDays(-30));
        Assert.Equal(1, await sql.CountAsync("SELECT count(*) FROM alert_deliveries WHERE rule_id = @r", ("r", id)));
    }

    [Fact]
    public async Task A_silence_rule_fires_when_no_event_came_for_its_period_and_resolves_with_the_next_event()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (_, _, client) = await NewTenantAsync("alerts-quiet");
        await PostAsync(client, "heartbeat", failures: 0, successes: 1);
        await CreateRuleAsync(client, new JsonObject
        {
            ["name"] = "service quiet", ["metric"] = "silence_seconds", ["comparison"] = ">", ["threshold"] = 2, ["severity"] = "critical",
            ["targets"] = new JsonArray(receiver.Address.ToString()),
        });
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(8));
        Assert.Equal(("firing", "critical"), (receiver.Requests[0].Json.GetProperty("state").GetString(), receiver.Requests[0].Json.GetProperty("severity").GetString()));

        var sent = await PostAsync(client, "heartbeat", failures: 0, successes: 1);
        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(5));
        Assert.Equal("resolved", receiver.Requests[1].Json.GetProperty("state").GetString());
        Assert.True(receiver.Requests[1].At - sent < TimeSpan.FromSeconds(1), $"resolved {(receiver.Requests[1].At - sent).TotalMilliseconds:0} ms after the event");
    }
}
