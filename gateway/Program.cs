using Telemetry.Gateway;

// Settings files sit next to the binaries, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddTelemetryGateway();
var app = builder.Build();
app.MapTelemetryGateway();
app.Run();
