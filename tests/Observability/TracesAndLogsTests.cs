using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Observability;

/// <summary>
/// Traces reach an OTLP receiver with the gateway request, the grain call and the SQL in one trace;
/// logs are JSON lines that carry the trace id; slow requests are logged with their duration.
/// </summary>
public sealed class TracesAndLogsTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    [Fact]
    public async Task A_sampled_request_is_exported_over_otlp_as_one_trace_from_gateway_to_grain_to_database()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var gateway = await Cluster.StartGatewayAsync(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            // Only requests whose caller asks for a trace, so that the other tests of this process are not traced.
            ["Observability:TraceSampleRatio"] = "0",
        });
        var (_, key, client) = await NewTenantAsync("trace", gateway);

        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/events", UriKind.Relative))
        {
            Content = IngestValidationTests.Json("""{"type": "traced", "status": "success", "user_id": "tracer"}"""),
        };
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using (var response = await client.SendAsync(request)) Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        var traceBytes = Convert.FromHexString(traceId.ToHexString());
        await Eventually.HoldsAsync(() =>
        {
            var spans = receiver.Traces.Where(body => body.AsSpan().IndexOf(traceBytes) >= 0).Select(body => Encoding.UTF8.GetString(body)).ToList();
            // The request's span, the grain call's, and the event log's commit statement, which only the silo runs.
            var expected = new[] { "Microsoft.AspNetCore", "Microsoft.Orleans", "INSERT INTO tenant_rollups" };
            var missing = expected.Where(text => !spans.Any(s => s.Contains(text, StringComparison.Ordinal))).ToList();
            return Task.FromResult(missing.Count == 0 ? null : $"{spans.Count} exports hold the trace; none has {string.Join(", ", missing)} (of {receiver.Traces.Count} exports)");
        }, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Logs_are_json_lines_with_the_trace_id_and_slow_requests_are_logged_with_their_duration()
    {
        var settings = new Dictionary<string, string?>(Cluster.Settings)
        {
            ["TELEMETRY_HTTP_PORT"] = LoopbackPort.FreeSetting(),
            ["Observability__JsonLogs"] = "true",
            // Every request is "slow", so that one is logged.
            ["Observability__SlowRequest"] = "00:00:00",
        };
        await using var process = ServiceProcess.Start("gateway", "json-logs-gateway", settings);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{settings["TELEMETRY_HTTP_PORT"]}/") };
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        await Eventually.HoldsAsync(async () =>
        {
            if (process.HasExited) return "the gateway exited:\n" + process.Output;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("health/live", UriKind.Relative));
                request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
                using var response = await client.SendAsync(request);
                return response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                return ex.Message;
            }
        }, TimeSpan.FromSeconds(60));

        await Eventually.HoldsAsync(() =>
        {
            var lines = process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var notJson = lines.FirstOrDefault(l => !l.StartsWith('{'));
            if (notJson is not null) return Task.FromResult<string?>($"a log line that is not JSON: {notJson}");
            foreach (var line in lines)
            {
                using var entry = JsonDocument.Parse(line);
                var message = entry.RootElement.GetProperty("Message").GetString() ?? "";
                if (!message.StartsWith("Slow request: GET /health/live answered 200 in ", StringComparison.Ordinal)) continue;
                var scopes = entry.RootElement.GetProperty("Scopes").EnumerateArray();
                if (scopes.Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out var id) && id.GetString() == traceId)) return Task.FromResult<string?>(null);
                return Task.FromResult<string?>($"the slow request's entry lacks trace id {traceId}: {line}");
            }
            return Task.FromResult<string?>("no slow request logged:\n" + process.Output);
        }, TimeSpan.FromSeconds(10));
        output.WriteLine(process.Output);
    }

    /// <summary>An OTLP/HTTP endpoint that keeps what it is sent, as a collector would receive it.</summary>
    private sealed class OtlpReceiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private OtlpReceiver(WebApplication app, Uri address)
        {
            _app = app;
            Address = address;
        }

        public Uri Address { get; }

        /// <summary>The bodies of the trace exports, OTLP protobuf.</summary>
        public ConcurrentQueue<byte[]> Traces { get; } = new();

        public static async Task<OtlpReceiver> StartAsync()
        {
            var port = LoopbackPort.Free();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port));
            var app = builder.Build();
            var receiver = new OtlpReceiver(app, new Uri($"http://localhost:{port}/"));
            app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                if (signal == "traces") receiver.Traces.Enqueue(body.ToArray());
                return Results.Ok();
            });
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
