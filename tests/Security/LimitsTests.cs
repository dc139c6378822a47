using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary>Per-tenant rate limits, CORS for browser apps, and keys kept out of the logs.</summary>
public sealed class LimitsTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task A_flooding_tenant_gets_429_with_retry_after_while_another_tenants_ingest_keeps_its_pace()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["RateLimit:EventsPerSecond"] = "200",
            ["RateLimit:Burst"] = "1000",
        });
        var (flooder, floodKey) = await Cluster.CreateTenantAsync("flood");
        var (steady, steadyKey) = await Cluster.CreateTenantAsync("steady");
        using var flood = gateway.CreateClient(floodKey);
        using var calm = gateway.CreateClient(steadyKey);

        var accepted = 0;
        var limited = 0;
        string? retryAfter = null;
        using var stop = new CancellationTokenSource();
        var flooding = Task.Run(async () =>
        {
            var batch = new JsonObject { ["events"] = new JsonArray([.. Enumerable.Range(0, 500).Select(_ => (JsonNode)new JsonObject { ["type"] = "flood" })]) }.ToJsonString();
            await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (_, token) =>
            {
                while (!stop.IsCancellationRequested)
                {
                    using var response = await flood.PostAsync(new Uri("v1/events/batch", UriKind.Relative), IngestValidationTests.Json(batch), token);
                    if (response.StatusCode == HttpStatusCode.OK) Interlocked.Add(ref accepted, 500);
                    else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref limited);
                        retryAfter ??= response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    }
                    else Assert.Fail($"flood answered {(int)response.StatusCode}");
                }
            });
        });

        // The other tenant sends 20 events a second, well under its limit: every one is taken.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
        {
            using var response = await calm.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "calm"}"""));
            statuses.Add(response.StatusCode);
            await Task.Delay(50);
        }
        await stop.CancelAsync();
        await flooding;

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Created, s));
        Assert.True(limited > 0, "the flood was never limited");
        Assert.NotNull(retryAfter);
        Assert.True(double.Parse(retryAfter!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        // What the flood got stored is what it was told: 429s stored nothing, and no more than the bucket allows.
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(accepted, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", flooder)));
        Assert.InRange(accepted, 1000, 1000 + 200 * 10);
        Assert.Equal(60, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", steady)));

        // Operators see the same on the gateway's metrics port: refused events by tenant, and what was taken.
        using var scraper = new HttpClient();
        var scrape = await PrometheusScrape.GetAsync(scraper, gateway.MetricsAddress);
        Assert.Equal(limited * 500, scrape.Sum("telemetry_events_rate_limited_total", ("tenant", flooder)));
        Assert.Equal(accepted, scrape.Sum("telemetry_events_accepted_total", ("tenant", flooder)));
        Assert.Null(scrape.Sum("telemetry_events_rate_limited_total", ("tenant", steady)));
    }

    [Fact]
    public async Task Browser_apps_from_configured_origins_get_cors_headers_and_others_do_not()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["TELEMETRY_CORS_ORIGINS"] = "https://tutor.example.edu, https://app.example.com" });
        var (_, key) = await Cluster.CreateTenantAsync("cors");
        using var client = gateway.CreateClient();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri("v1/events", UriKind.Relative));
        preflight.Headers.Add("Origin", "https://tutor.example.edu");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type, authorization");
        using (var response = await client.SendAsync(preflight))
        {
            Assert.True(response.IsSuccessStatusCode);
            Assert.Equal("https://tutor.example.edu", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        }

        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/events", UriKind.Relative)) { Content = IngestValidationTests.Json("""{"type": "clicked"}""") };
        post.Headers.Add("Origin", "https://app.example.com");
        post.Headers.Authorization = new("Bearer", key);
        using (var response = await client.SendAsync(post))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        using var foreign = new HttpRequestMessage(HttpMethod.Options, new Uri("v1/events", UriKind.Relative));
        foreign.Headers.Add("Origin", "https://evil.example.net");
        foreign.Headers.Add("Access-Control-Request-Method", "POST");
        using (var response = await client.SendAsync(foreign))
        {
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }

        // Without the setting, a gateway answers no browser from elsewhere.
        using var plain = new HttpRequestMessage(HttpMethod.Options, new Uri("v1/events", UriKind.Relative));
        plain.Headers.Add("Origin", "https://tutor.example.edu");
        plain.Headers.Add("Access-Control-Request-Method", "POST");
        using var defaultClient = Cluster.Gateways[0].CreateClient();
        using (var response = await defaultClient.SendAsync(plain))
        {
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task Keys_never_appear_in_the_logs_even_at_trace_level()
    {
        var logs = new CapturingLoggerProvider();
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Trace" }, services => services.AddSingleton<ILoggerProvider>(logs));
        var (tenant, key) = await Cluster.CreateTenantAsync("logs");
        var made = await Cluster.Keys.CreateKeyAsync(tenant, "second", Telemetry.Storage.KeyScopes.All);
        using var client = gateway.CreateClient(key);
        (await client.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json("""{"type": "a"}"""))).EnsureSuccessStatusCode();
        await client.GetAsync(new Uri("v1/events", UriKind.Relative));
        using (var created = await client.PostAsJsonAsync("v1/keys", new { name = "third", scopes = new[] { "read" } }))
        {
            var third = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;
            using var withThird = gateway.CreateClient(third);
            await withThird.GetAsync(new Uri("v1/metrics/overview", UriKind.Relative));
            using var wrong = gateway.CreateClient(made.Key[..^2] + "xx");
            await wrong.GetAsync(new Uri("v1/events", UriKind.Relative));
            using var viaHeader = new HttpClient { BaseAddress = gateway.BaseAddress };
            viaHeader.DefaultRequestHeaders.Add("X-API-Key", made.Key);
            await viaHeader.GetAsync(new Uri("v1/keys", UriKind.Relative));

            var written = logs.Text;
            Assert.True(written.Length > 1000, "the capture saw the requests");
            foreach (var secret in new[] { key, made.Key, third })
            {
                Assert.DoesNotContain(secret[(Telemetry.Storage.ApiKeyFormat.Prefix.Length + 33)..], written, StringComparison.Ordinal);
            }
        }
    }
}
