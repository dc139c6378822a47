using Microsoft.Extensions.DependencyInjection;
using Telemetry.Gateway.Live;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Live;

/// <summary>
/// A gateway answers a tenant's 24h overview and categories from the copy its grain pushes to it, while the
/// copy is fresh, and says how old the answer is; an old copy sends the read to the grain.
/// </summary>
public sealed class PushedCopyReadsTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Reads_follow_the_pushed_copy_and_state_its_age_and_an_old_copy_goes_back_to_the_grain()
    {
        // A copy kept for a minute: what the answers show can only come from pushes, never from a grain read.
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["Metrics:PushedCopyMaxAge"] = "00:01:00" });
        var (tenantId, key, client) = await NewTenantAsync("copy", gateway);
        await PostAsync(client, "first");
        await Eventually.HoldsAsync(async () => (await OverviewAsync(client)).Total == 1 ? null : "first event not counted");

        // The first read subscribed this gateway: the next events reach its copy by push.
        var hub = gateway.Services.GetRequiredService<LiveMetricsHub>();
        Assert.True(hub.IsSubscribed(tenantId));
        await PostAsync(client, "second");
        await PostAsync(client, "third");
        await Eventually.HoldsAsync(async () => (await OverviewAsync(client)).Total == 3 ? null : "pushes did not reach the copy", TimeSpan.FromSeconds(5));
        var categories = await GetJsonAsync(client, "v1/metrics/categories");
        Assert.Equal(["first", "second", "third"], categories.Body.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("type").GetString()).Order());

        // Nothing changes for a while: the same copy answers, older each time, and says so.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var aged = await OverviewAsync(client);
        Assert.Equal(3, aged.Total);
        Assert.True(aged.Age >= 2, $"Age {aged.Age}");

        // With the default age (1 s), the same quiet tenant is read from its grain: age 0, exact.
        var strict = await Cluster.StartGatewayAsync();
        using var strictClient = strict.CreateClient(key);
        await OverviewAsync(strictClient);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var exact = await OverviewAsync(strictClient);
        Assert.Equal((3L, 0L), (exact.Total, exact.Age));
        Assert.Equal(3, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenantId)));
    }

    private static async Task PostAsync(HttpClient client, string type)
    {
        using var response = await client.PostAsync(new Uri("v1/events", UriKind.Relative), IngestValidationTests.Json($$"""{"type": "{{type}}", "status": "success"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<(long Total, long Age)> OverviewAsync(HttpClient client)
    {
        var (body, age) = await GetJsonAsync(client, "v1/metrics/overview");
        return (body.GetProperty("total").GetInt64(), age);
    }

    private static async Task<(JsonElement Body, long Age)> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var age = response.Headers.Age is { } a ? (long)a.TotalSeconds : -1;
        Assert.True(age >= 0, "no Age header");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (document.RootElement.Clone(), age);
    }
}
