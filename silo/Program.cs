using Telemetry.Silo;

if (await SiloCommands.TryRunAsync(args) is { } exitCode) return exitCode;

var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => silo
    .AddTelemetryCluster(builder.Configuration)
    .AddTelemetryGrains(builder.Configuration));
await builder.Build().RunAsync();
return 0;
