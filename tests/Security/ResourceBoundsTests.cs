using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using Npgsql;
using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Tests.Compat;

namespace Telemetry.Tests.Security;

/// <summary>
/// One tenant cannot take what the others need: its open exports and streams are bounded per gateway, its reads stop
/// at a statement timeout and give their connection back, and partition DDL never waits for ever behind long reads.
/// </summary>
public sealed class ResourceBoundsTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    /// <summary>Rows of a bulk tenant: a CSV export of them (about 30 MB) is far more than the socket buffers hold.</summary>
    private const int BulkRows = 100_000;

    private const string BulkInsertSql = """
        INSERT INTO events (tenant_id, event_id, seq, type, user_id, occurred_at, received_at, properties)
        SELECT @tenant, gen_random_uuid(), g, 'bulk', 'user-' || (g % 500), now() - g * interval '1 second', now(),
               jsonb_build_object('ticket', 'T-' || g, 'pad', repeat('x', 200))
        FROM generate_series(1, @rows) AS g
        """;

    [Fact]
    public async Task A_tenant_over_its_open_exports_gets_429_with_retry_after_while_another_tenant_exports()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?> { ["ConcurrencyLimit:ExportsPerTenant"] = "2" });
        var (hog, hogKey) = await Cluster.CreateTenantAsync("exphog");
        var (_, otherKey) = await Cluster.CreateTenantAsync("expother");
        await BulkAsync(hog);
        using var client = gateway.CreateClient(hogKey);
        using var other = gateway.CreateClient(otherKey);

        // Two exports whose clients do not read: each stays open, holding its slot and its connection.
        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < 2; i++)
        {
            var response = await client.GetAsync(new Uri("v1/events/export?format=csv", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            open.Add(response);
        }
        using (var third = await client.GetAsync(new Uri("v1/events/export?format=ndjson", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
            Assert.True(third.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.True(JsonDocument.Parse(await third.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty("export", out _));
        }
        // Another tenant is not counted with it.
        using (var theirs = await other.GetAsync(new Uri("v1/events/export?format=csv", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, theirs.StatusCode);
        }

        // A slot comes back when its export ends, here by the client going away.
        open[0].Dispose();
        await Eventually.HoldsAsync(async () =>
        {
            using var again = await client.GetAsync(new Uri("v1/events/export?format=csv&type=none", UriKind.Relative));
            return again.StatusCode == HttpStatusCode.OK ? null : $"still {(int)again.StatusCode}";
        }, TimeSpan.FromSeconds(10));
        open[1].Dispose();
    }

    [Fact]
    public async Task A_tenant_over_its_open_live_streams_or_grpc_streams_is_refused_and_others_are_not()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["ConcurrencyLimit:LiveStreamsPerTenant"] = "2",
            ["ConcurrencyLimit:IngestStreamsPerTenant"] = "1",
        });
        var (_, key) = await Cluster.CreateTenantAsync("streamhog");
        var (_, otherKey) = await Cluster.CreateTenantAsync("streamother");
        using var client = gateway.CreateClient(key);
        using var other = gateway.CreateClient(otherKey);

        await using var first = await SseClient.ConnectAsync(client);
        await using var second = await SseClient.ConnectAsync(client);
        using (var third = await client.GetAsync(new Uri("v1/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
            Assert.True(third.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }
        await using (var theirs = await SseClient.ConnectAsync(other))
        {
            Assert.Equal("metrics", (await theirs.NextAsync(TimeSpan.FromSeconds(5)))?.Type);
        }
        await first.DisposeAsync();
        await Eventually.HoldsAsync(async () =>
        {
            using var again = await client.GetAsync(new Uri("v1/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            return again.StatusCode == HttpStatusCode.OK ? null : $"still {(int)again.StatusCode}";
        }, TimeSpan.FromSeconds(10));

        using var channel = GrpcChannel.ForAddress(gateway.GrpcAddress);
        var grpc = new EventCollectorService.EventCollectorServiceClient(channel);
        using var stream = grpc.StreamEvents(new Metadata { { "authorization", $"Bearer {key}" } });
        await stream.RequestStream.WriteAsync(EventCollectorTests.Learner(0, Guid.NewGuid()));
        Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None));
        using var refused = grpc.StreamEvents(new Metadata { { "authorization", $"Bearer {key}" } });
        var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.NotNull(error.Trailers.GetValue("retry-after"));
        using var theirStream = grpc.StreamEvents(new Metadata { { "authorization", $"Bearer {otherKey}" } });
        await theirStream.RequestStream.WriteAsync(EventCollectorTests.Learner(1, Guid.NewGuid()));
        Assert.True(await theirStream.ResponseStream.MoveNext(CancellationToken.None));
        await theirStream.RequestStream.CompleteAsync();
        await stream.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task A_read_past_the_statement_timeout_answers_503_with_retry_after_and_leaves_nothing_running()
    {
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["Database:QueryTimeout"] = "00:00:00.001",
            ["Database:ExportTimeout"] = "00:00:00.001",
        });
        var (tenant, key) = await Cluster.CreateTenantAsync("slowread");
        await BulkAsync(tenant);
        using var client = gateway.CreateClient(key);

        // A deep offset page and its count, and an export whose filter matches nothing until it has scanned every row.
        foreach (var path in new[] { "api/v1/logs?page=90&page_size=1000", "v1/events/export?format=csv&status=success" })
        {
            var clock = Stopwatch.StartNew();
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{path}: {(int)response.StatusCode} after {clock.ElapsedMilliseconds} ms: {body[..Math.Min(400, body.Length)]}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("query", out _), body);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"answered after {clock.Elapsed}");
        }
        // The timeout is the reads' own: a write on the same gateway is not cut short.
        using var posted = await client.PostAsync(new Uri("v1/events", UriKind.Relative), Gateway.IngestValidationTests.Json("""{"type": "after"}"""));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
    }

    [Fact]
    public async Task Partition_ddl_behind_a_long_read_gives_up_at_its_lock_timeout_instead_of_queueing_everything_behind_it()
    {
        var partitions = new EventPartitionStore(Cluster.Database, Options.Create(new DatabaseOptions { PartitionLockTimeout = TimeSpan.FromMilliseconds(300) }));
        // A week far in the future that no other test writes to: its partition does not exist yet.
        var week = new DateTimeOffset(2093, 3, 2, 12, 0, 0, TimeSpan.Zero);
        await using (var reader = await Cluster.Database.OpenConnectionAsync())
        await using (var transaction = await reader.BeginTransactionAsync())
        {
            // A long export holds a lock on events until it ends.
            await using (var read = new NpgsqlCommand("SELECT count(*) FROM events WHERE tenant_id = 'nobody'", reader, transaction))
            {
                await read.ExecuteScalarAsync();
            }
            var clock = Stopwatch.StartNew();
            var ensure = partitions.EnsureAheadAsync(week);
            var failed = await Assert.ThrowsAsync<PostgresException>(() => ensure.WaitAsync(TimeSpan.FromSeconds(10)));
            output.WriteLine($"gave up after {clock.ElapsedMilliseconds} ms: {failed.SqlState} {failed.MessageText}");
            Assert.Equal(PostgresErrorCodes.LockNotAvailable, failed.SqlState);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3));
            await transaction.RollbackAsync();
        }

        // Once the read has ended the same DDL goes through.
        try
        {
            await partitions.EnsureAheadAsync(week);
            Assert.Contains("events_2093_03_02", await partitions.ListAsync());
        }
        finally
        {
            await DropAsync("events_2093_03_02", "events_2093_03_09");
        }
    }

    private async Task BulkAsync(string tenant)
    {
        await using var command = Cluster.Database.CreateCommand(BulkInsertSql);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("rows", BulkRows);
        command.CommandTimeout = 120;
        await command.ExecuteNonQueryAsync();
    }

    private async Task DropAsync(params string[] names)
    {
        foreach (var name in names)
        {
            await using var drop = Cluster.Database.CreateCommand($"DROP TABLE IF EXISTS {name}");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
