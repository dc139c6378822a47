using System.Net.Sockets;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Security;

/// <summary>
/// Rate limits that hold for the cluster: a tenant's rate over two gateways together is the rate of one,
/// and keyless clients of the anonymous tenant each have a bucket of their own address.
/// </summary>
public sealed class SharedRateLimitTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task A_tenant_flooding_two_gateways_gets_the_rate_of_one()
    {
        var limits = new Dictionary<string, string?> { ["RateLimit:EventsPerSecond"] = "200", ["RateLimit:Burst"] = "1000" };
        var gateways = new[] { await Cluster.StartGatewayAsync(limits), await Cluster.StartGatewayAsync(limits) };
        var (tenant, key) = await Cluster.CreateTenantAsync("shared-limit");
        var batch = JsonSerializer.Serialize(new { events = Enumerable.Range(0, 100).Select(_ => new { type = "flood" }) });

        var accepted = 0;
        var limited = 0;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 8), async (i, token) =>
        {
            using var client = gateways[i % 2].CreateClient(key);
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), IngestValidationTests.Json(batch), token);
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Add(ref accepted, 100);
                else if (response.StatusCode == HttpStatusCode.TooManyRequests) Interlocked.Increment(ref limited);
                else Assert.Fail($"answered {(int)response.StatusCode}");
            }
        });
        var elapsed = clock.Elapsed.TotalSeconds;

        Assert.True(limited > 0, "the flood was never limited");
        // One bucket: its burst, its rate over the run, and one unspent lease of each gateway at most.
        Assert.InRange(accepted, 1000, 1000 + 200 * elapsed + 2 * 100);
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(accepted, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));
    }

    [Fact]
    public async Task Each_keyless_client_address_has_its_own_bucket_and_keyed_clients_of_the_tenant_are_not_slowed()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("keyless-limit");
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["TELEMETRY_ANONYMOUS_TENANT"] = tenant,
            ["RateLimit:KeylessEventsPerSecond"] = "1",
            ["RateLimit:KeylessBurst"] = "10",
        });
        const string Body = """{"event_type": "click", "payload": {"button": "hint"}}""";

        using var noisy = KeylessClientFrom(IPAddress.Parse("127.0.0.2"), gateway.BaseAddress);
        var statuses = new List<HttpStatusCode>();
        string? retryAfter = null;
        for (var i = 0; i < 30; i++)
        {
            using var response = await noisy.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json(Body));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) retryAfter ??= response.Headers.RetryAfter?.Delta?.ToString();
        }
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.Created), 10, 12);
        Assert.Equal(30, statuses.Count(s => s is HttpStatusCode.Created or HttpStatusCode.TooManyRequests));
        Assert.NotNull(retryAfter);

        // Another address, and a keyed client of the same tenant, are not held back by the noisy one.
        using var quiet = KeylessClientFrom(IPAddress.Parse("127.0.0.3"), gateway.BaseAddress);
        using var keyed = gateway.CreateClient(key);
        for (var i = 0; i < 5; i++)
        {
            using var fromQuiet = await quiet.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json(Body));
            Assert.Equal(HttpStatusCode.Created, fromQuiet.StatusCode);
        }
        for (var i = 0; i < 30; i++)
        {
            using var fromKeyed = await keyed.PostAsync(new Uri("events", UriKind.Relative), IngestValidationTests.Json(Body));
            Assert.Equal(HttpStatusCode.Created, fromKeyed.StatusCode);
        }
    }

    [Fact]
    public async Task Reads_of_made_up_users_are_bounded_per_tenant_so_they_cannot_storm_the_silos_with_activations()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["RateLimit:UserReadsPerSecond"] = "5",
            ["RateLimit:UserReadsBurst"] = "10",
        });
        var (_, key, walker) = await NewTenantAsync("user-walk", gateway);
        var statuses = new List<HttpStatusCode>();
        string? problem = null;
        for (var i = 0; i < 40; i++)
        {
            using var response = await walker.GetAsync(new Uri($"v1/users/made-up-{Guid.NewGuid():N}/metrics", UriKind.Relative));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                problem ??= await response.Content.ReadAsStringAsync();
            }
        }
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.NotFound), 10, 15);
        Assert.Equal(40, statuses.Count(s => s is HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests));
        Assert.Contains("\"user_id\"", problem, StringComparison.Ordinal);

        // Another tenant on the same gateway reads as before.
        var (_, otherKey, other) = await NewTenantAsync("user-walk-other", gateway);
        using var fine = await other.GetAsync(new Uri("v1/users/someone/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, fine.StatusCode);
    }

    /// <summary>An HTTP client whose connections leave from <paramref name="source"/>, another loopback address.</summary>
    private static HttpClient KeylessClientFrom(IPAddress source, Uri baseAddress)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }
}
