using Npgsql;
using Xunit;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// The verdict after a fault under <see cref="RetryingLoad"/>: every event the clients sent was in
/// the end acknowledged, every acknowledged event is stored exactly once, and the tenants' and users'
/// live metrics equal a SQL count over the stored events within the given time.
/// </summary>
public static class NothingLost
{
    public static async Task AssertAsync(RetryingLoad load, NpgsqlDataSource database, Uri gateway, TimeSpan metricsWithin)
    {
        Assert.Empty(load.Unexpected);
        var sql = new SqlTruth(database);
        foreach (var tenant in load.Tenants)
        {
            var sent = load.Sent(tenant);
            var acknowledged = load.Acknowledged(tenant);
            Assert.True(sent.SetEquals(acknowledged), $"{tenant}: {sent.Count} sent, {acknowledged.Count} acknowledged");
            Assert.Equal(acknowledged.Count, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = ANY(@ids)", ("t", tenant), ("ids", acknowledged.ToArray())));
            // No event twice, and nothing stored that was not sent.
            Assert.Equal(acknowledged.Count, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
        }

        // One deadline for all tenants: the metrics must all be right within metricsWithin of now.
        var deadline = DateTime.UtcNow + metricsWithin;
        TimeSpan Left() => deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero;
        foreach (var tenant in load.Tenants)
        {
            using var client = new HttpClient { BaseAddress = gateway };
            client.DefaultRequestHeaders.Authorization = new("Bearer", load.Key(tenant));
            var comparison = new MetricsComparison(client, sql);
            await Eventually.HoldsAsync(() => comparison.TenantDiffersAsync(tenant), Left());
            foreach (var user in await sql.UsersAsync(tenant, 5)) await Eventually.HoldsAsync(async () => await comparison.UserDiffersAsync(tenant, user) is { } d ? $"{tenant}: {d}" : null, Left());
        }
    }
}
