using System.IO.Compression;
using System.Net.Http.Headers;
using Grpc.Core;
using Grpc.Net.Client;
using Telemetry.Gateway.Compat.Grpc;
using Telemetry.Tests.Gateway;

namespace Telemetry.Tests.Compat;

/// <summary>Seed 003, the event collector: POST /collect and GET /ready, and its gRPC service on its own port.</summary>
public sealed class EventCollectorTests(ClusterFixture fixture) : SharedClusterTest(fixture)
{
    /// <summary>Verbatim from the document's cURL example.</summary>
    private const string CurlBody = """
        {
            "events": [{
              "learner_id": "learner123",
              "course_id": "course456",
              "lesson_id": "lesson789",
              "event_type": "lesson_started",
              "event_data": {"duration": 300},
              "timestamp": "2024-01-15T10:30:00Z"
            }]
          }
        """;

    /// <summary>Verbatim from the document's request body example.</summary>
    private const string DocumentedBody = """
        {
          "events": [
            {
              "learner_id": "learner123",
              "course_id": "course456",
              "lesson_id": "lesson789",
              "event_type": "lesson_started",
              "event_data": {
                "duration": 300,
                "score": 85
              },
              "timestamp": "2024-01-15T10:30:00Z",
              "session_id": "session123",
              "metadata": {
                "device": "mobile",
                "app_version": "1.0.0"
              }
            }
          ]
        }
        """;

    [Fact]
    public async Task The_documented_examples_answer_success_batch_id_accepted_rejected_and_timestamp()
    {
        var (_, key, client) = await NewTenantAsync("collector");
        foreach (var body in new[] { CurlBody, DocumentedBody })
        {
            using var response = await client.PostAsync(new Uri("collect", UriKind.Relative), IngestValidationTests.Json(body));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            var answer = JsonDocument.Parse(text).RootElement;
            Assert.True(answer.GetProperty("success").GetBoolean());
            Assert.True(Guid.TryParse(answer.GetProperty("batch_id").GetString(), out _));
            Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
            Assert.Equal(0, answer.GetProperty("rejected").GetInt32());
            Assert.True(Math.Abs((answer.GetProperty("timestamp").GetDateTimeOffset() - DateTimeOffset.UtcNow).TotalMinutes) < 1);
        }

        using var page = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/events?user_id=learner123", UriKind.Relative)));
        var stored = page.RootElement.GetProperty("data").EnumerateArray().First(e => e.GetProperty("session_id").GetString() == "session123");
        Assert.Equal("lesson_started", stored.GetProperty("type").GetString());
        Assert.Equal(new DateTimeOffset(2024, 1, 15, 10, 30, 0, TimeSpan.Zero), stored.GetProperty("timestamp").GetDateTimeOffset());
        var properties = stored.GetProperty("properties");
        Assert.Equal("course456", properties.GetProperty("course_id").GetString());
        Assert.Equal("lesson789", properties.GetProperty("lesson_id").GetString());
        Assert.Equal(85, properties.GetProperty("event_data").GetProperty("score").GetInt32());
        Assert.Equal("mobile", properties.GetProperty("metadata").GetProperty("device").GetString());
    }

    [Fact]
    public async Task Its_status_codes_400_401_413_422_and_gzip_and_ready()
    {
        var (_, key, client) = await NewTenantAsync("collector-codes");
        var collect = new Uri("collect", UriKind.Relative);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(collect, IngestValidationTests.Json("{\"events\": ["))).StatusCode);
        using (var broken = new ByteArrayContent("not gzip"u8.ToArray()))
        {
            broken.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            broken.Headers.ContentEncoding.Add("gzip");
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(collect, broken)).StatusCode);
        }
        using (var anonymous = Cluster.Gateways[0].CreateClient())
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(collect, IngestValidationTests.Json(CurlBody))).StatusCode);
        }
        var oneEvent = JsonDocument.Parse(CurlBody).RootElement.GetProperty("events")[0].GetRawText();
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge,
            (await client.PostAsync(collect, IngestValidationTests.Json($"{{\"events\": [{string.Join(",", Enumerable.Repeat(oneEvent, 101))}]}}"))).StatusCode);
        var huge = oneEvent.Replace("300", $"\"{new string('x', 1_100_000)}\"", StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync(collect, IngestValidationTests.Json($"{{\"events\": [{huge}]}}"))).StatusCode);

        using (var invalid = await client.PostAsync(collect, IngestValidationTests.Json("""{"events": [{"learner_id": "l", "course_id": "c", "lesson_id": "x", "event_type": "lesson_exploded", "event_data": {}, "timestamp": "2024-01-15T10:30:00Z"}, {"learner_id": "l", "event_type": "lesson_paused", "event_data": {}, "timestamp": "2024-01-15T10:30:00Z"}]}""")))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
            var errors = JsonDocument.Parse(await invalid.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
            Assert.True(errors.TryGetProperty("events[0].event_type", out _));
            Assert.True(errors.TryGetProperty("events[1].course_id", out _));
            Assert.True(errors.TryGetProperty("events[1].lesson_id", out _));
        }
        using (var partly = await client.PostAsync(collect, IngestValidationTests.Json($$"""{"events": [{{oneEvent}}, {"learner_id": "l"}]}""")))
        {
            var answer = JsonDocument.Parse(await partly.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, partly.StatusCode);
            Assert.False(answer.GetProperty("success").GetBoolean());
            Assert.Equal(1, answer.GetProperty("accepted").GetInt32());
            Assert.Equal(1, answer.GetProperty("rejected").GetInt32());
        }

        using var gzipped = new ByteArrayContent(Gzip(Encoding.UTF8.GetBytes(DocumentedBody)));
        gzipped.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        gzipped.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(collect, gzipped)).StatusCode);

        using var ready = await Cluster.Gateways[1].CreateClient().GetAsync(new Uri("ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("ready").GetBoolean());
    }

    [Fact]
    public async Task The_grpc_service_takes_one_event_a_batch_and_a_stream_of_ten_thousand_each_acknowledged_and_stored_once()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("collector-grpc");
        using var channel = GrpcChannel.ForAddress(Cluster.Gateways[1].GrpcAddress);
        var client = new EventCollectorService.EventCollectorServiceClient(channel);
        var auth = new Metadata { { "authorization", $"Bearer {key}" } };

        // As the document's Python client: Event(learner_id, course_id, lesson_id, event_type, event_data={"score": "95"}, timestamp).
        var one = await client.CollectEventAsync(new Event
        {
            LearnerId = "learner123", CourseId = "course456", LessonId = "lesson789", EventType = "lesson_completed",
            EventData = { ["score"] = "95" }, Timestamp = "2024-01-15T10:30:00Z",
        }, auth);
        Assert.True(one.Success);
        Assert.Equal(1, one.Accepted);

        var batch = new EventBatch();
        for (var i = 0; i < 50; i++) batch.Events.Add(Learner(i, Guid.NewGuid()));
        batch.Events.Add(new Event { LearnerId = "l", EventType = "lesson_started" });
        var answer = await client.CollectEventsAsync(batch, auth);
        Assert.Equal(50, answer.Accepted);
        Assert.Equal(1, answer.Rejected);
        Assert.Contains(answer.Errors, e => e.StartsWith("events[50].course_id", StringComparison.Ordinal));

        var ids = Enumerable.Range(0, 10_000).Select(_ => Guid.NewGuid()).ToList();
        using var stream = client.StreamEvents(auth);
        var acknowledged = new List<string>();
        var reading = Task.Run(async () =>
        {
            await foreach (var ack in stream.ResponseStream.ReadAllAsync())
            {
                Assert.True(ack.Success, string.Join("; ", ack.Errors));
                acknowledged.AddRange(ack.EventIds);
            }
        });
        for (var i = 0; i < ids.Count; i++) await stream.RequestStream.WriteAsync(Learner(i, ids[i]));
        await stream.RequestStream.CompleteAsync();
        await reading.WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(ids.Select(i => i.ToString()), acknowledged);
        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(ids.Count, await sql.CountAsync("SELECT count(DISTINCT event_id) FROM events WHERE tenant_id = @t AND event_id = ANY(@ids)", ("t", tenant), ("ids", ids.ToArray())));
        Assert.Equal(10_000 + 51, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", tenant)));

        var health = await client.HealthCheckAsync(new HealthCheckRequest());
        Assert.Equal("healthy", health.Status);
        Assert.True((await client.ReadinessCheckAsync(new ReadinessCheckRequest())).Ready);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.CollectEventAsync(Learner(0, Guid.NewGuid())));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    internal static Event Learner(int i, Guid id) => new()
    {
        EventId = id.ToString(),
        LearnerId = $"learner-{i % 25}",
        CourseId = "course-1",
        LessonId = $"lesson-{i % 9}",
        EventType = EventCollectorTypes[i % EventCollectorTypes.Length],
        EventData = { ["step"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        Timestamp = DateTimeOffset.UtcNow.AddSeconds(-i).ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        SessionId = $"session-{i % 40}",
    };

    private static readonly string[] EventCollectorTypes =
        ["lesson_started", "lesson_completed", "lesson_paused", "lesson_resumed", "assessment_started", "assessment_completed", "assessment_submitted", "progress_updated"];

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }
}
