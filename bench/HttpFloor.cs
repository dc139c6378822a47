namespace Telemetry.Bench;

/// <summary>The HTTP floor: a bare ASP.NET Core endpoint that reads a body and answers 201, nothing else.</summary>
public static class HttpFloor
{
    public static async Task RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port));
        var app = builder.Build();
        app.MapPost("/v1/events", async (HttpRequest request) =>
        {
            var buffer = new byte[16 * 1024];
            while (await request.Body.ReadAsync(buffer) > 0)
            {
            }
            return Results.StatusCode(StatusCodes.Status201Created);
        });
        app.MapGet("/health/ready", () => Results.Ok());
        await app.RunAsync();
    }
}
