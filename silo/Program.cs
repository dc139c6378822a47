using Telemetry.Silo;

if (await SiloCommands.TryRunAsync(args) is { } exitCode) return exitCode;

// Settings files sit next to the binaries, wherever the process is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.UseOrleans(silo => silo
    .AddTelemetryCluster(builder.Configuration)
    .AddTelemetryGrains(builder.Configuration));
await builder.Build().RunAsync();
return 0;
