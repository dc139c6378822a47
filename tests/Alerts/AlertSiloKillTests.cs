using Orleans.Runtime;

namespace Telemetry.Tests.Alerts;

/// <summary>
/// The silo that holds a tenant's alerts grain killed while a rule fires: the rule's state survives in PostgreSQL, the
/// grain comes back on the other silo, and the resolution is delivered once, with no firing lost or repeated.
/// </summary>
public sealed class AlertSiloKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TelemetryCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static async Task PostUntilAcknowledgedAsync(HttpClient client, int failures, int successes)
    {
        var events = new JsonArray();
        for (var i = 0; i < failures + successes; i++)
        {
            events.Add(new JsonObject { ["id"] = Guid.CreateVersion7().ToString(), ["type"] = "checkout", ["user_id"] = "u1", ["status"] = i < failures ? "failure" : "success" });
        }
        var body = new JsonObject { ["events"] = events }.ToJsonString();
        // Like a well-behaved client: the same ids again until acknowledged.
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
                return response.IsSuccessStatusCode ? null : $"answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                return ex.Message;
            }
        }, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Killing_the_silo_of_a_firing_rules_grain_loses_no_change_of_state_and_repeats_none()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (tenantId, key) = await _cluster.CreateTenantAsync("alerts-kill");
        using var client = _cluster.Gateways[0].CreateClient(key);
        using var created = await client.PostAsJsonAsync("v1/alerts", new JsonObject
        {
            ["name"] = "checkout errors", ["metric"] = "error_rate", ["comparison"] = ">", ["threshold"] = 0.5, ["resolve_threshold"] = 0.3,
            ["targets"] = new JsonArray(receiver.Address.ToString()),
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("rule").GetProperty("id").GetGuid();

        await PostUntilAcknowledgedAsync(client, failures: 1, successes: 0);
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(5));

        var management = _cluster.Cluster.Client.GetGrain<IManagementGrain>(0);
        var host = await management.GetActivationAddress(_cluster.Cluster.Client.GetGrain<ITenantAlertsGrain>(tenantId));
        Assert.NotNull(host);
        var victim = _cluster.Cluster.Silos.Single(s => s.SiloAddress.Equals(host));
        await _cluster.Cluster.KillSiloAsync(victim);
        output.WriteLine($"killed {victim.SiloAddress}, which held the alerts grain");

        // 1 failure of 4 (0.25) resolves the rule: the grain must come back, from the stored state, to see it.
        await PostUntilAcknowledgedAsync(client, failures: 0, successes: 3);
        await receiver.WaitForAsync(2, TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(3));
        var changes = receiver.Requests.Select(r => (Key: r.Headers["Idempotency-Key"], State: r.Json.GetProperty("state").GetString())).Distinct().ToList();
        Assert.Equal([("firing"), ("resolved")], changes.Select(c => c.State));
        var rule = JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/alerts/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(("ok", 2), (rule.GetProperty("state").GetString(), rule.GetProperty("changes").GetInt32()));
    }
}
