using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Compat;

/// <summary><c>POST /v1/logs</c>: OpenTelemetry's own exporter sends logs, which become events with their attributes.</summary>
public sealed class OtlpLogsTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    private static async Task<JsonElement[]> EventsAsync(HttpClient client, string query, int expected)
    {
        JsonElement[] events = [];
        await Eventually.HoldsAsync(async () =>
        {
            events = [.. JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/events?" + query, UriKind.Relative))).RootElement.GetProperty("data").EnumerateArray()];
            return events.Length == expected ? null : $"{events.Length} of {expected} events";
        }, TimeSpan.FromSeconds(10));
        return events;
    }

    [Fact]
    public async Task Logs_from_the_OpenTelemetry_dotnet_exporter_are_queryable_as_events_with_their_attributes()
    {
        var (_, key, client) = await NewTenantAsync("otlp");
        ActivityTraceId traceId;
        using (var logs = LoggerFactory.Create(builder => builder.AddOpenTelemetry(o =>
        {
            o.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("tutor-api")
                .AddAttributes([new KeyValuePair<string, object>("deployment.environment.name", "staging")]));
            o.AddOtlpExporter(e =>
            {
                e.Endpoint = new Uri(Cluster.Gateways[0].BaseAddress, "v1/logs");
                e.Protocol = OtlpExportProtocol.HttpProtobuf;
                e.Headers = $"Authorization=Bearer {key}";
                // Each record as it is logged: the test reads them back at once.
                e.ExportProcessorType = OpenTelemetry.ExportProcessorType.Simple;
            });
        })))
        {
            var logger = logs.CreateLogger("Tutor");
            using var activity = new Activity("lesson").SetIdFormat(ActivityIdFormat.W3C);
            activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
            activity.Start();
            traceId = activity.TraceId;
#pragma warning disable CA1848, CA2254, CA1727, CA1873 // The test logs as an application would, OpenTelemetry attribute names in its templates.
            logger.LogInformation("Lesson {LessonId} started for {user.id}", 42, "student@ucsd.edu");
            logger.LogError("Quiz {QuizId} failed for {user.id}", "q-7", "student@ucsd.edu");
#pragma warning restore CA1848, CA2254, CA1727, CA1873
        }

        var events = await EventsAsync(client, "user_id=student%40ucsd.edu", 2);
        var failed = Assert.Single(events, e => e.GetProperty("status").GetString() == "failure");
        var started = Assert.Single(events, e => e.GetProperty("status").GetString() == "success");
        Assert.Equal("staging", started.GetProperty("environment").GetString());
        var properties = started.GetProperty("properties");
        Assert.Equal("tutor-api", properties.GetProperty("service_name").GetString());
        Assert.Equal(42, properties.GetProperty("attributes").GetProperty("LessonId").GetInt32());
        Assert.Equal(traceId.ToHexString(), properties.GetProperty("trace_id").GetString());
        Assert.Equal("Error", failed.GetProperty("properties").GetProperty("severity_text").GetString());
        Assert.Equal("q-7", failed.GetProperty("properties").GetProperty("attributes").GetProperty("QuizId").GetString());
    }

    private const string JsonBody = """
        {"resourceLogs": [{
          "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
          "scopeLogs": [{
            "scope": {"name": "shop", "version": "1.2"},
            "logRecords": [
              {"timeUnixNano": "1764900000000000000", "severityNumber": 17, "severityText": "ERROR", "eventName": "payment",
               "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
               "body": {"stringValue": "card declined"},
               "attributes": [{"key": "session.id", "value": {"stringValue": "s-1"}}, {"key": "amount", "value": {"doubleValue": 12.5}},
                              {"key": "items", "value": {"arrayValue": {"values": [{"intValue": "3"}, {"boolValue": true}]}}}]},
              {"observedTimeUnixNano": "1764900001000000000", "severityNumber": 9, "body": {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}}},
              {"timeUnixNano": "1764900002000000000", "eventName": "EVENT_NAME_TOO_LONG_EVENT_NAME_TOO_LONG_EVENT_NAME_TOO_LONG_EVENT_NAME_TOO_LONG_EVENT_NAME_TOO_LONG_EVENT_NAME_TOO_LONG_EVENT_NAME_TOO_LONG_"}
            ]}]}]}
        """;

    [Fact]
    public async Task Otlp_json_is_mapped_field_by_field_refused_records_are_a_partial_success_and_a_retry_stores_nothing_twice()
    {
        var (tenantId, _, client) = await NewTenantAsync("otlp-json");
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var response = await client.PostAsync(new Uri("v1/logs", UriKind.Relative), IngestValidationTests.Json(JsonBody));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var partial = JsonDocument.Parse(text).RootElement.GetProperty("partialSuccess");
            Assert.Equal("1", partial.GetProperty("rejectedLogRecords").GetString());
            Assert.Contains("type", partial.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(2, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenantId)));

        var payment = Assert.Single(await EventsAsync(client, "type=payment", 1));
        Assert.Equal(("failure", "s-1", "2025-12-05T02:00:00Z"), (payment.GetProperty("status").GetString(), payment.GetProperty("session_id").GetString(),
            payment.GetProperty("timestamp").GetDateTimeOffset().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
        var properties = payment.GetProperty("properties");
        Assert.Equal(("card declined", "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "checkout", "shop 1.2"),
            (properties.GetProperty("body").GetString(), properties.GetProperty("trace_id").GetString(), properties.GetProperty("span_id").GetString(),
             properties.GetProperty("service_name").GetString(), properties.GetProperty("scope").GetString()));
        Assert.Equal(12.5, properties.GetProperty("attributes").GetProperty("amount").GetDouble());
        Assert.Equal([3, 1], properties.GetProperty("attributes").GetProperty("items").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.True ? 1 : v.GetInt32()));
        var log = Assert.Single(await EventsAsync(client, "type=log", 1));
        Assert.Equal(("success", "v"), (log.GetProperty("status").GetString(), log.GetProperty("properties").GetProperty("body").GetProperty("k").GetString()));
    }

    [Theory]
    [InlineData("application/json", "{\"resourceLogs\": 7}", 400)]
    [InlineData("application/x-protobuf", "not protobuf at all \u0001\u0002\u00ff", 400)]
    [InlineData("text/plain", "hello", 415)]
    public async Task A_body_that_is_not_an_otlp_request_is_refused(string mediaType, string body, int status)
    {
        var (_, _, client) = await NewTenantAsync("otlp-bad");
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        using var response = await client.PostAsync(new Uri("v1/logs", UriKind.Relative), content);
        Assert.Equal(status, (int)response.StatusCode);
    }
}
