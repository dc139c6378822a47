using Telemetry.Gateway;

var builder = WebApplication.CreateBuilder(args);
builder.AddTelemetryGateway();
var app = builder.Build();
app.MapTelemetryGateway();
app.Run();
