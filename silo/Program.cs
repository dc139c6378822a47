using Orleans.Dashboard;
using Telemetry.Observability;
using Telemetry.Silo;

if (await SiloCommands.TryRunAsync(args) is { } exitCode) return exitCode;

// Settings files sit next to the binaries, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddTelemetryObservability("telemetry-silo");
var host = SiloHostOptions.From(builder.Configuration);
builder.AddSiloHttp(host);
builder.UseOrleans(silo => silo
    .AddTelemetryCluster(builder.Configuration, host)
    .AddTelemetryGrains(builder.Configuration)
    .AddDashboard());

var app = builder.Build();
app.MapTelemetryObservability(host.HttpPort, sharedPort: true);
app.MapSiloHealthApi();
app.MapOrleansDashboard("/orleans");
await app.RunAsync();
return 0;
