using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Telemetry.Client;

/// <summary>Registers a <see cref="TelemetryClient"/> for an app's host: one per app, delivered when the host stops.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The client, with options bound from <paramref name="section"/> (e.g. <c>configuration.GetSection("Telemetry")</c>).</summary>
    public static IServiceCollection AddTelemetryClient(this IServiceCollection services, IConfiguration section, Action<TelemetryClientOptions>? configure = null)
    {
        services.AddOptions<TelemetryClientOptions>().Bind(section);
        return services.AddTelemetryClient(configure ?? (_ => { }));
    }

    /// <summary>The client, with options set in code.</summary>
    public static IServiceCollection AddTelemetryClient(this IServiceCollection services, Action<TelemetryClientOptions> configure)
    {
        services.AddOptions<TelemetryClientOptions>().Configure(configure);
        services.TryAddSingleton(sp => new TelemetryClient(sp.GetRequiredService<IOptions<TelemetryClientOptions>>().Value, sp.GetService<ILogger<TelemetryClient>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TelemetryClientLifetime>());
        return services;
    }
}

/// <summary>Delivers what the client holds when the host stops (within the host's shutdown time and the client's own).</summary>
internal sealed class TelemetryClientLifetime(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Last: the logs other services wrote while they stopped go too.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken) => services.GetRequiredService<TelemetryClient>().ShutdownAsync(cancellationToken);
}
