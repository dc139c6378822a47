using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Telemetry.Observability;

/// <summary>
/// The platform's own telemetry, the same in silos and gateways: metrics (ours, ASP.NET Core, Orleans,
/// Npgsql, the runtime) scraped in Prometheus format at <c>/metrics</c>, traces (HTTP request to grain
/// to database), both exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and JSON
/// console logs that carry the trace id.
/// </summary>
public static class Extensions
{
    public static IHostApplicationBuilder AddTelemetryObservability(this IHostApplicationBuilder builder, string serviceName)
    {
        var configuration = builder.Configuration;
        var options = configuration.GetSection(ObservabilityOptions.Section).Get<ObservabilityOptions>() ?? new ObservabilityOptions();
        builder.Services.AddValidatedOptions<ObservabilityOptions>(configuration.GetSection(ObservabilityOptions.Section));
        builder.Services.TryAddSingleton<IngestMetrics>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, LocalPortMatcherPolicy>());

        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (options.JsonLogs)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceVersion: typeof(Extensions).Assembly.GetName().Version?.ToString(), serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(IngestMetrics.MeterName, "Microsoft.Orleans", "Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            });
        // Spans cost on every request and grain call; record them only when there is somewhere to send them.
        if (otlp)
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.TraceSampleRatio)))
                    .AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/health"))
                    .AddNpgsql()
                    .AddOtlpExporter();
            });
        }
        return builder;
    }

    /// <summary>
    /// The Prometheus scrape endpoint at <c>/metrics</c>, only for connections that arrived on
    /// <paramref name="metricsPort"/> (its series name tenants, which a public port must not show),
    /// and the log of slow requests. Unless <paramref name="sharedPort"/> (the silo's HTTP port, which
    /// also has the probes and the dashboard), that port is Prometheus' alone: any other path is 404 there.
    /// </summary>
    public static WebApplication MapTelemetryObservability(this WebApplication app, int metricsPort, bool sharedPort = false)
    {
        // Without the policy RequireLocalPort would keep nothing apart: fail at start-up, not open.
        if (!app.Services.GetServices<MatcherPolicy>().OfType<LocalPortMatcherPolicy>().Any())
        {
            throw new InvalidOperationException("AddTelemetryObservability registers the local-port routing policy that /metrics needs; call it first.");
        }
        if (!sharedPort)
        {
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort != metricsPort || context.Request.Path == "/metrics") return next(context);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }
        app.UseMiddleware<SlowRequestLogger>();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous().RequireLocalPort(metricsPort);
        return app;
    }
}
