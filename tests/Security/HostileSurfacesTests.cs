using CsCheck;
using Grpc.Core;
using Grpc.Net.Client;
using Telemetry.Gateway.Compat.Grpc;

namespace Telemetry.Tests.Security;

/// <summary>
/// Hostile values (CsCheck) in every field of every ingest surface, native and compatible, HTTP and gRPC,
/// while bystanders send valid events to the same tenant: no 5xx from any input while PostgreSQL is up,
/// every bystander's event acknowledged and stored, and the live metrics still equal SQL afterwards.
/// </summary>
public sealed class HostileSurfacesTests(ClusterFixture fixture, ITestOutputHelper output) : SharedClusterTest(fixture)
{
    /// <summary>JSON values that break what a field, jsonb, text columns or their indexes take, and some that are fine.</summary>
    private static readonly Gen<string> Value = Gen.OneOf(
        Gen.OneOf("\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\u0007\"", "\"\"", "\"ok\"", "\"SUCCESS\"", "\"failure\"",
            "1e999999", "-1e999999", "1e-999999", "0e-99999", "1e-400", "1e308", "1.7e308", "-1", "0", "12.5", "2592000001",
            "true", "null", "[]", "{}", "{\"n\":1e999999}", "{\"k\\u0000\":1}", "{\"ticket_id\":{\"deep\":[1,2,3]}}",
            "\"2026-11-23T06:00:00Z\"", "\"9999-12-31T23:59:59Z\"", "\"0001-01-01T00:00:00Z\"", "\"lesson_started\""),
        Gen.Int[0, 5000].Select(n => "\"" + RandomText(n) + "\""),
        Gen.Int[100, 400].Select(n => "{\"ticket_id\":\"" + RandomText(n * 10) + "\"}"));

    private static readonly string[] NativeFields = ["id", "type", "status", "user_id", "session_id", "environment", "timestamp", "duration_ms", "properties"];
    private static readonly string[] TutorFields = ["event_type", "user_email", "payload", "extra"];
    private static readonly string[] CentralFields = ["environment", "executed_at", "ticket_id", "status", "execution_time_seconds", "category", "metrics", "payload", "workflow_version", "resolution_status"];
    private static readonly string[] CollectorFields = ["learner_id", "course_id", "lesson_id", "event_type", "event_data", "timestamp", "session_id", "metadata", "event_id"];

    /// <summary>A valid base object of a surface with some of its fields replaced by hostile values.</summary>
    private static Gen<string> Body(string baseFields, string[] fields) =>
        Gen.Select(Gen.Int[0, fields.Length - 1], Value).Array[1, 3].Select(changes =>
        {
            var replaced = new Dictionary<string, string>();
            foreach (var (field, value) in changes) replaced[fields[field]] = value;
            var kept = baseFields.Split(";;").Select(f => f.Split("=", 2)).Where(f => !replaced.ContainsKey(f[0])).Select(f => $"\"{f[0]}\":{f[1]}");
            return "{" + string.Join(",", kept.Concat(replaced.Select(r => $"\"{r.Key}\":{r.Value}"))) + "}";
        });

    private static readonly Gen<(string Path, string Body)> Request = Gen.OneOf(
        Body("type=\"native\"", NativeFields).Select(b => ("v1/events", b)),
        Body("type=\"native\"", NativeFields).Array[1, 4].Select(b => ("v1/events/batch", "{\"events\":[" + string.Join(",", b) + "]}")),
        Body("event_type=\"tutor\";;user_email=\"a@b.c\"", TutorFields).Select(b => ("events", b)),
        Body("environment=\"prod\";;executed_at=\"2026-11-23T06:00:00Z\";;status=\"SUCCESS\"", CentralFields).Select(b => ("api/v1/logs", b)),
        Body("environment=\"prod\";;executed_at=\"2026-11-23T06:00:00Z\";;status=\"FAILED\"", CentralFields).Array[1, 3].Select(b => ("api/v1/logs/batch", "[" + string.Join(",", b) + "]")),
        Body("learner_id=\"l\";;course_id=\"c\";;lesson_id=\"x\";;event_type=\"lesson_started\";;timestamp=\"2026-11-23T06:00:00Z\"", CollectorFields).Array[1, 3]
            .Select(b => ("collect", "{\"events\":[" + string.Join(",", b) + "]}")));

    /// <summary>gRPC strings reach the gateway without a JSON reader: NUL, lone surrogates and long text in each of them.</summary>
    private static readonly Gen<string> GrpcText = Gen.OneOf(
        Gen.OneOf("", "ok", "nul\0", "\ud800", "\u0007", "lesson_started", "2026-11-23T06:00:00Z", "9999-12-31T23:59:59Z"),
        Gen.Int[0, 3000].Select(RandomText));

    private static readonly HttpStatusCode[] Allowed =
        [HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnprocessableEntity];

    [Fact]
    public async Task Hostile_values_on_every_surface_never_get_a_5xx_and_cost_bystanders_nothing()
    {
        var (tenant, key) = await Cluster.CreateTenantAsync("surfaces");
        var gateway = Cluster.Gateways[1];
        using var client = gateway.CreateClient(key);
        using var stop = new CancellationTokenSource();
        var bystanders = Enumerable.Range(0, 4).Select(b => Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsJsonAsync("v1/events", new { type = "bystander", status = sent % 3 == 0 ? "failure" : "success", duration_ms = sent, user_id = $"b{b}" });
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                sent++;
            }
            return sent;
        })).ToList();

        var statuses = new Dictionary<string, int>();
        await Request.SampleAsync(async sample =>
        {
            using var response = await client.PostAsync(new Uri(sample.Path, UriKind.Relative), new StringContent(sample.Body, Encoding.UTF8, "application/json"));
            lock (statuses) statuses[$"{sample.Path} {(int)response.StatusCode}"] = statuses.GetValueOrDefault($"{sample.Path} {(int)response.StatusCode}") + 1;
            if (!Allowed.Contains(response.StatusCode))
            {
                throw new InvalidOperationException($"{(int)response.StatusCode} for {sample.Path}: {sample.Body[..Math.Min(400, sample.Body.Length)]}\n{await response.Content.ReadAsStringAsync()}");
            }
        }, iter: 600, threads: 4);

        using var channel = GrpcChannel.ForAddress(gateway.GrpcAddress);
        var grpc = new EventCollectorService.EventCollectorServiceClient(channel);
        var auth = new Metadata { { "authorization", $"Bearer {key}" } };
        await Gen.Select(GrpcText, GrpcText, GrpcText, GrpcText, GrpcText).Array[1, 4].SampleAsync(async events =>
        {
            var batch = new EventBatch();
            foreach (var (learner, session, type, data, timestamp) in events)
            {
                batch.Events.Add(new Event { LearnerId = learner, SessionId = session, CourseId = "c", LessonId = "l", EventType = type, Timestamp = timestamp, EventData = { [data] = data }, Metadata = { ["m"] = data } });
            }
            var answer = await grpc.CollectEventsAsync(batch, auth); // a 5xx would be an RpcException
            Assert.Equal(events.Length, answer.Accepted + answer.Rejected);
        }, iter: 200, threads: 2);

        await stop.CancelAsync();
        var sent = (await Task.WhenAll(bystanders)).Sum();
        output.WriteLine($"bystanders sent {sent}; " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(statuses.Where(s => s.Key.EndsWith(" 422", StringComparison.Ordinal)).Sum(s => s.Value) > 100, "most requests broke a rule");
        Assert.True(statuses.Where(s => s.Key.EndsWith(" 200", StringComparison.Ordinal) || s.Key.EndsWith(" 201", StringComparison.Ordinal)).Sum(s => s.Value) > 20, "some got through");

        var sql = new SqlTruth(Cluster.Database);
        Assert.Equal(sent, await sql.CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t AND type = 'bystander'", ("t", tenant)));
        await Eventually.HoldsAsync(() => new MetricsComparison(client, sql).TenantDiffersAsync(tenant));
    }

    private static string RandomText(int length)
    {
        var text = new StringBuilder(length);
        for (var i = 0; i < length; i++)
        {
            var c = (char)Random.Shared.Next('0', 'z' + 1);
            text.Append(c == '\\' ? 'x' : c); // no escapes: the text goes into JSON as it is
        }
        return text.ToString();
    }
}
