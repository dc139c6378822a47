using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Configuration;

namespace Telemetry.Client.Logging;

/// <summary><c>builder.Logging.AddTelemetry()</c>: the app's log entries become events, sent by its <see cref="TelemetryClient"/>.</summary>
public static class TelemetryLoggingBuilderExtensions
{
    /// <summary>Needs <see cref="TelemetryServiceCollectionExtensions.AddTelemetryClient(IServiceCollection, Action{TelemetryClientOptions})"/> too.</summary>
    public static ILoggingBuilder AddTelemetry(this ILoggingBuilder builder, Action<TelemetryLoggerOptions>? configure = null)
    {
        builder.AddConfiguration();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, TelemetryLoggerProvider>());
        LoggerProviderOptions.RegisterProviderOptions<TelemetryLoggerOptions, TelemetryLoggerProvider>(builder.Services);
        if (configure is not null) builder.Services.Configure(configure);
        return builder;
    }
}
