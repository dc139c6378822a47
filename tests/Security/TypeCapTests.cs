using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary>
/// A tenant's distinct event types are capped (<c>EventLog:MaxTypes</c>, here 20): an event of a new type
/// past the cap is refused with 422 on <c>type</c>, alone; events of known types go on being stored, and
/// other tenants are not affected.
/// </summary>
public sealed class TypeCapTests : IAsyncLifetime
{
    private TelemetryCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await TelemetryCluster.StartAsync(silos: 2, gateways: 1, siloSettings: new Dictionary<string, string?> { ["EventLog:MaxTypes"] = "20" });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Events_of_a_new_type_past_the_tenants_cap_are_refused_alone_and_known_types_go_on()
    {
        var (tenant, key) = await _cluster.CreateTenantAsync("types");
        using var client = _cluster.Gateways[0].CreateClient(key);

        var first = await PostBatchAsync(client, Enumerable.Range(0, 15).Select(i => $"type_{i}"));
        Assert.Equal(15, first.GetProperty("accepted").GetInt32());

        // Ten new types and three known ones: the first five new ones fit, the next five do not.
        var second = await PostBatchAsync(client, Enumerable.Range(15, 10).Select(i => $"type_{i}").Concat(["type_0", "type_1", "type_2"]));
        Assert.Equal(8, second.GetProperty("accepted").GetInt32());
        Assert.Equal(5, second.GetProperty("rejected").GetInt32());
        var rejected = second.GetProperty("results").EnumerateArray().Where(r => r.GetProperty("status").GetString() == "rejected").ToList();
        Assert.Equal([20, 21, 22, 23, 24], rejected.Select(r => r.GetProperty("index").GetInt32() + 15));
        Assert.All(rejected, r => Assert.Equal("type", r.GetProperty("errors")[0].GetProperty("field").GetString()));

        using (var single = await client.PostAsJsonAsync("v1/events", new { type = "one_too_many" }))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, single.StatusCode);
            var problem = await single.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty("type", out _));
        }
        using (var known = await client.PostAsJsonAsync("v1/events", new { type = "type_19", status = "success" }))
        {
            Assert.Equal(HttpStatusCode.Created, known.StatusCode);
        }

        var sql = new SqlTruth(_cluster.Database);
        Assert.Equal(20, await sql.CountAsync("SELECT count(DISTINCT type) FROM events WHERE tenant_id = @t", ("t", tenant)));
        Assert.Equal(24, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        await Eventually.HoldsAsync(() => new MetricsComparison(client, sql).TenantDiffersAsync(tenant));

        // The cap is each tenant's own: another one still has all twenty.
        var (_, otherKey) = await _cluster.CreateTenantAsync("types-other");
        using var other = _cluster.Gateways[0].CreateClient(otherKey);
        Assert.Equal(20, (await PostBatchAsync(other, Enumerable.Range(0, 25).Select(i => $"t{i}"))).GetProperty("accepted").GetInt32());
    }

    private static async Task<JsonElement> PostBatchAsync(HttpClient client, IEnumerable<string> types)
    {
        var body = JsonSerializer.Serialize(new { events = types.Select(t => new { type = t }) });
        using var response = await client.PostAsync("v1/events/batch", IngestValidationTests.Json(body));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
