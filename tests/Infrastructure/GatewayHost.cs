using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Telemetry.Gateway;

namespace Telemetry.Tests.Infrastructure;

/// <summary>A gateway running in this process on a loopback port, with its own Orleans client.</summary>
public sealed class GatewayHost(WebApplication app, Uri baseAddress, Uri grpcAddress, Uri metricsAddress) : IAsyncDisposable
{
    private readonly WebApplication _app = app;
    private readonly CancellationTokenSource _stopping = new();
    private Task _started = Task.CompletedTask;

    public Uri BaseAddress { get; } = baseAddress;

    /// <summary>The event collector's gRPC port (HTTP/2 without TLS).</summary>
    public Uri GrpcAddress { get; } = grpcAddress;

    /// <summary>The port Prometheus scrapes, apart from the public one.</summary>
    public Uri MetricsAddress { get; } = metricsAddress;

    public IServiceProvider Services => _app.Services;

    public static async Task<GatewayHost> StartAsync(IReadOnlyDictionary<string, string?> settings, bool waitUntilReady = true, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var port = LoopbackPort.Free();
        var grpcPort = LoopbackPort.Free();
        var metricsPort = LoopbackPort.Free();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TELEMETRY_HTTP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TELEMETRY_GRPC_PORT"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["TELEMETRY_METRICS_PORT"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = settings.TryGetValue("Logging:LogLevel:Default", out var level) ? level : "Warning",
        });
        // After the gateway's own wiring, which replaces the log providers when it writes JSON logs.
        builder.AddTelemetryGateway();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapTelemetryGateway();
        var host = new GatewayHost(app, new Uri($"http://127.0.0.1:{port}/"), new Uri($"http://127.0.0.1:{grpcPort}/"), new Uri($"http://127.0.0.1:{metricsPort}/"));

        // Start completes only once the Orleans client has connected, which never happens without
        // a cluster: the gateway serves (health) meanwhile, so do not wait for it here.
        host._started = app.StartAsync(host._stopping.Token);
        if (waitUntilReady)
        {
            await host._started;
            await host.WaitUntilReadyAsync();
        }
        return host;
    }

    public HttpClient CreateClient(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _started;
        }
        catch (OperationCanceledException)
        {
            // It never finished starting.
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(new Uri("health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The gateway at {BaseAddress} did not become ready.");
            await Task.Delay(200);
        }
    }

}
