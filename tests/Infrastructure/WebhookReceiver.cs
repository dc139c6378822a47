using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Telemetry.Tests.Infrastructure;

/// <summary>
/// A real HTTP receiver of webhooks on a loopback port: records every request (headers, body, when) and answers with the
/// status the test sets (200 unless told otherwise).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Received> _received = new();

    /// <summary>One request as it arrived.</summary>
    public sealed record Received(DateTimeOffset At, string Body, IReadOnlyDictionary<string, string> Headers)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement;
    }

    private WebhookReceiver(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The URL a rule names as its target.</summary>
    public Uri Address { get; }

    /// <summary>The status every request is answered with.</summary>
    public int Status { get; set; } = StatusCodes.Status200OK;

    public IReadOnlyList<Received> Requests => [.. _received];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        // Quiet: its start and stop are not the test's news.
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, new Uri($"http://127.0.0.1:{port}/hook"));
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            receiver._received.Enqueue(new Received(DateTimeOffset.UtcNow, body,
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            return Results.StatusCode(receiver.Status);
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> requests arrived (failing after <paramref name="within"/>).</summary>
    public Task WaitForAsync(int count, TimeSpan within) =>
        Eventually.HoldsAsync(() => Task.FromResult(_received.Count >= count ? null : $"{_received.Count} of {count} webhook requests arrived"), within);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
