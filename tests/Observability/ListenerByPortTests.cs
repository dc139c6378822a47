namespace Telemetry.Tests.Observability;

/// <summary>
/// The Prometheus scrape (every tenant's series) and the gRPC service answer only on their own
/// listeners, chosen by the port the connection arrived on: a Host header naming their port on the
/// public listener reaches neither.
/// </summary>
public sealed class ListenerByPortTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    private GatewayHost Gateway => Cluster.Gateways[0];

    [Theory]
    [InlineData("anything")]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task The_public_port_answers_404_to_metrics_whatever_the_host_header_says(string host)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.BaseAddress, "metrics"));
        request.Headers.Host = $"{host}:{Gateway.MetricsAddress.Port}";
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        Assert.DoesNotContain("telemetry_", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("anything")]
    [InlineData("prometheus.monitoring.svc")]
    public async Task The_metrics_port_answers_the_scrape_whatever_the_host_header_says(string host)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Gateway.MetricsAddress, "metrics"));
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("health")]
    [InlineData("health/live")]
    [InlineData("v1/events")]
    [InlineData("dashboard")]
    [InlineData("metrics/")]
    public async Task The_metrics_port_answers_nothing_but_the_scrape(string path)
    {
        using var client = new HttpClient();
        using var response = await client.GetAsync(new Uri(Gateway.MetricsAddress, path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_grpc_service_answers_on_its_port_and_not_on_the_public_one_with_its_port_in_the_authority()
    {
        using var onGrpcPort = await HealthCheckAsync(Gateway.GrpcAddress, host: null);
        Assert.Equal(HttpStatusCode.OK, onGrpcPort.StatusCode);
        Assert.Equal("0", GrpcStatus(onGrpcPort));

        using var onPublicPort = await HealthCheckAsync(Gateway.BaseAddress, host: $"anything:{Gateway.GrpcAddress.Port}", HttpVersionPolicy.RequestVersionOrLower);
        Assert.True(onPublicPort.StatusCode == HttpStatusCode.NotFound, $"{(int)onPublicPort.StatusCode} HTTP/{onPublicPort.Version}, grpc-status {GrpcStatus(onPublicPort)}");
    }

    /// <summary>The event collector's HealthCheck (no key needed) over HTTP/2 without TLS, as its clients call it.</summary>
    private static async Task<HttpResponseMessage> HealthCheckAsync(Uri address, string? host, HttpVersionPolicy policy = HttpVersionPolicy.RequestVersionExact)
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "event_collector.EventCollectorService/HealthCheck"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = policy,
            // One uncompressed, empty message: HealthCheckRequest has no field that must be set.
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        if (host is not null) request.Headers.Host = host;
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static string? GrpcStatus(HttpResponseMessage response) =>
        response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.First()
        : response.Headers.TryGetValues("grpc-status", out var header) ? header.First() : null;
}
