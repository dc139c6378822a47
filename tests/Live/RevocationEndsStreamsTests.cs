using Grpc.Core;
using Grpc.Net.Client;
using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Tests.Compat;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Live;

/// <summary>A revoked key's open streams end within the same second that its new requests start being refused.</summary>
public sealed class RevocationEndsStreamsTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task Open_live_streams_of_a_revoked_key_end_on_every_gateway_within_a_second_of_new_requests_being_refused()
    {
        var (_, admin, owner) = await NewTenantAsync("revstream");
        var (keyId, key) = await CreateKeyAsync(owner, "dashboard", "read");
        using var here = Cluster.Gateways[0].CreateClient(key);
        using var there = Cluster.Gateways[1].CreateClient(key);
        await using var local = await SseClient.ConnectAsync(here);
        await using var remote = await SseClient.ConnectAsync(there);
        Assert.Equal("metrics", (await local.NextAsync(TimeSpan.FromSeconds(5)))?.Type);
        Assert.Equal("metrics", (await remote.NextAsync(TimeSpan.FromSeconds(5)))?.Type);
        // Another key of the same tenant keeps its stream.
        using var adminReader = Cluster.Gateways[1].CreateClient(admin);
        await using var unaffected = await SseClient.ConnectAsync(adminReader);
        Assert.Equal("metrics", (await unaffected.NextAsync(TimeSpan.FromSeconds(5)))?.Type);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync(new Uri($"v1/keys/{keyId}", UriKind.Relative))).StatusCode);
        var clock = Stopwatch.StartNew();
        var refused = WhenRefusedAsync(there, clock);
        var localEnded = WhenEndedAsync(local, clock);
        var remoteEnded = WhenEndedAsync(remote, clock);
        var (refusedAt, localAt, remoteAt) = (await refused, await localEnded, await remoteEnded);
        output.WriteLine($"new requests refused after {refusedAt?.TotalMilliseconds} ms; streams ended after {localAt?.TotalMilliseconds} ms (same gateway) and {remoteAt?.TotalMilliseconds} ms (other gateway)");

        Assert.NotNull(refusedAt);
        Assert.NotNull(localAt);
        Assert.NotNull(remoteAt);
        Assert.True(localAt < refusedAt + TimeSpan.FromSeconds(1), $"the stream on the revoking gateway ended {localAt} after, requests refused {refusedAt} after");
        Assert.True(remoteAt < refusedAt + TimeSpan.FromSeconds(1), $"the stream on the other gateway ended {remoteAt} after, requests refused {refusedAt} after");
        Assert.True(remoteAt < TimeSpan.FromSeconds(1.5), $"ended {remoteAt} after the revocation");

        // The stream of the tenant's other key goes on (a heartbeat or a push, not the end).
        Assert.Null(await WhenEndedAsync(unaffected, Stopwatch.StartNew(), TimeSpan.FromSeconds(1)));
        // Reconnecting with the revoked key is refused.
        Assert.Equal(HttpStatusCode.Unauthorized, (await here.GetAsync(new Uri("v1/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead)).StatusCode);
    }

    [Fact]
    public async Task An_open_grpc_event_stream_of_a_revoked_key_ends_unauthenticated_within_a_second()
    {
        var (tenant, admin, owner) = await NewTenantAsync("revgrpc");
        var (keyId, key) = await CreateKeyAsync(owner, "collector", "ingest");
        using var channel = GrpcChannel.ForAddress(Cluster.Gateways[1].GrpcAddress);
        var client = new EventCollectorService.EventCollectorServiceClient(channel);
        using var stream = client.StreamEvents(new Metadata { { "authorization", $"Bearer {key}" } });
        var acknowledged = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var ack in stream.ResponseStream.ReadAllAsync()) Interlocked.Add(ref acknowledged, ack.EventIds.Count);
        });
        await stream.RequestStream.WriteAsync(EventCollectorTests.Learner(0, Guid.NewGuid()));
        await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) == 1 ? null : "not acknowledged yet"));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync(new Uri($"v1/keys/{keyId}", UriKind.Relative))).StatusCode);
        var clock = Stopwatch.StartNew();
        // The collector keeps sending, as a real one would, until the server ends the call.
        var sending = Task.Run(async () =>
        {
            for (var i = 1; i < 100 && !reading.IsCompleted; i++)
            {
                try
                {
                    await stream.RequestStream.WriteAsync(EventCollectorTests.Learner(i, Guid.NewGuid()));
                }
                catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
                {
                    return;
                }
                await Task.Delay(50);
            }
        });
        var ended = await Assert.ThrowsAsync<RpcException>(() => reading.WaitAsync(TimeSpan.FromSeconds(5)));
        var endedAt = clock.Elapsed;
        await sending;
        output.WriteLine($"the call ended {ended.StatusCode} after {endedAt.TotalMilliseconds} ms with {acknowledged} events acknowledged");
        Assert.Equal(StatusCode.Unauthenticated, ended.StatusCode);
        Assert.True(endedAt < TimeSpan.FromSeconds(1.5), $"ended {endedAt} after the revocation");

        // What was acknowledged is stored; nothing else from the revoked key.
        var stored = await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant));
        Assert.Equal(acknowledged, stored);
    }

    internal static async Task<(Guid Id, string Key)> CreateKeyAsync(HttpClient admin, string name, params string[] scopes)
    {
        using var created = await admin.PostAsJsonAsync("v1/keys", new { name, scopes });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("id").GetGuid(), body.RootElement.GetProperty("key").GetString()!);
    }

    /// <summary>When a new request with the key is first refused, polling; null when not within 3 s.</summary>
    private static async Task<TimeSpan?> WhenRefusedAsync(HttpClient client, Stopwatch clock)
    {
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            using var response = await client.GetAsync(new Uri("v1/metrics/overview", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.Unauthorized) return clock.Elapsed;
            await Task.Delay(20);
        }
        return null;
    }

    /// <summary>When the stream ended, reading it; null when it was still open after <paramref name="within"/> (3 s).</summary>
    private static async Task<TimeSpan?> WhenEndedAsync(SseClient stream, Stopwatch clock, TimeSpan? within = null)
    {
        // One read waits for the rest of the time: a read given up on closes the connection, so it is done once, at the end.
        var limit = within ?? TimeSpan.FromSeconds(3);
        while (clock.Elapsed < limit)
        {
            try
            {
                if (await stream.NextAsync(limit - clock.Elapsed) is null) return null;
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or HttpRequestException or ObjectDisposedException)
            {
                return clock.Elapsed;
            }
        }
        return null;
    }
}
