using System.IO.Compression;
using System.Net.Http.Headers;

namespace Telemetry.Tests.Gateway;

/// <summary>Every rule of the event table, and every refusal of the ingest endpoints, over real HTTP.</summary>
public sealed class IngestValidationTests(ClusterFixture fixture) : SharedClusterTest(fixture), IAsyncLifetime
{
    private string _tenant = "";
    private string _key = "";

    public async Task InitializeAsync() => (_tenant, _key) = await Cluster.CreateTenantAsync("val");

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly string Future = DateTimeOffset.UtcNow.AddHours(25).ToString("O");

    /// <summary>A body that breaks one rule, and the field the 422 must name.</summary>
    public static TheoryData<string, string> InvalidEvents => new()
    {
        { """{}""", "type" },
        { """{"type": ""}""", "type" },
        { $$"""{"type": "{{new string('x', 129)}}"}""", "type" },
        { """{"type": "line\nbreak"}""", "type" },
        { """{"type": "nul\u0000"}""", "type" },
        { """{"type": "bell\u0007"}""", "type" },
        { """{"type": 42}""", "type" },
        { """{"type": ["a"]}""", "type" },
        { """{"type": "lone \ud800 surrogate"}""", "type" },
        { """{"type": "a", "status": "ok"}""", "status" },
        { """{"type": "a", "status": "succes"}""", "status" },
        { """{"type": "a", "status": true}""", "status" },
        { """{"type": "a", "user_id": ""}""", "user_id" },
        { $$"""{"type": "a", "user_id": "{{new string('u', 257)}}"}""", "user_id" },
        { """{"type": "a", "user_id": 7}""", "user_id" },
        { """{"type": "a", "user_id": "nul\u0000"}""", "user_id" },
        { $$"""{"type": "a", "session_id": "{{new string('s', 257)}}"}""", "session_id" },
        { """{"type": "a", "session_id": {}}""", "session_id" },
        { $$"""{"type": "a", "environment": "{{new string('e', 65)}}"}""", "environment" },
        { """{"type": "a", "timestamp": "yesterday"}""", "timestamp" },
        { """{"type": "a", "timestamp": "2026-01-01"}""", "timestamp" },
        { """{"type": "a", "timestamp": "2026-01-01T00:00:00"}""", "timestamp" },
        { """{"type": "a", "timestamp": "2026-13-01T00:00:00Z"}""", "timestamp" },
        { """{"type": "a", "timestamp": "2026-01-01 00:00:00Z"}""", "timestamp" },
        { """{"type": "a", "timestamp": 1700000000}""", "timestamp" },
        { $$"""{"type": "a", "timestamp": "{{Future}}"}""", "timestamp" },
        { """{"type": "a", "timestamp": "0001-01-01T00:00:00Z"}""", "timestamp" },
        { """{"type": "a", "timestamp": "1969-12-31T23:59:59.999999Z"}""", "timestamp" },
        { """{"type": "a", "duration_ms": -1}""", "duration_ms" },
        { """{"type": "a", "duration_ms": -0.001}""", "duration_ms" },
        { """{"type": "a", "duration_ms": "5"}""", "duration_ms" },
        { """{"type": "a", "duration_ms": 1e400}""", "duration_ms" },
        { """{"type": "a", "properties": []}""", "properties" },
        { """{"type": "a", "properties": "x"}""", "properties" },
        { $$$"""{"type": "a", "properties": {"big": "{{{new string('p', 33 * 1024)}}}"}}""", "properties" },
        { """{"type": "a", "properties": {"k": "nul\u0000"}}""", "properties" },
        { """{"type": "a", "properties": {"deep": [{"x": "\udc00"}]}}""", "properties" },
        { """{"type": "a", "properties": {"\ud800": 1}}""", "properties" },
        { """{"type": "a", "id": "not-a-uuid"}""", "id" },
        { """{"type": "a", "id": "00000000-0000-0000-0000-000000000000"}""", "id" },
        { """{"type": "a", "id": 12}""", "id" },
        { """{"type": "a", "id": "{0191f1a0-7c2e-7d3a-9f00-5b6c7d8e9f10}"}""", "id" },
        { """{"type": "a", "colour": "red"}""", "colour" },
        { """{"type": "a", "Type": "b"}""", "Type" },
        { """{"type": "a", "type": "b"}""", "type" },
        { """[{"type": "a"}]""", "event" },
        { "\"just a string\"", "event" },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task An_event_that_breaks_a_rule_is_refused_with_422_naming_the_field(string body, string field)
    {
        using var client = Cluster.Gateways[0].CreateClient(_key);
        using var response = await client.PostAsync(new Uri("v1/events", UriKind.Relative), Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, text);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal(422, problem.RootElement.GetProperty("status").GetInt32());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), text);
        Assert.True(messages.GetArrayLength() > 0);
    }

    [Fact]
    public async Task Nothing_of_a_refused_event_is_stored()
    {
        using var client = Cluster.Gateways[0].CreateClient(_key);
        foreach (var row in InvalidEvents)
        {
            using var _ = await client.PostAsync(new Uri("v1/events", UriKind.Relative), Json((string)row[0]));
        }
        Assert.Equal(0, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", _tenant)));
    }

    /// <summary>Valid edge cases: each must be stored (201).</summary>
    public static TheoryData<string> ValidEdgeEvents => new()
    {
        { $$"""{"type": "{{new string('x', 128)}}"}""" },
        { $$"""{"type": "{{string.Concat(Enumerable.Repeat("😀", 128))}}"}""" },
        { """{"type": "a", "status": "SUCCESS"}""" },
        { """{"type": "a", "status": "Failure"}""" },
        { """{"type": "a", "status": null, "user_id": null, "properties": null}""" },
        { $$"""{"type": "a", "user_id": "{{new string('u', 256)}}", "session_id": "", "environment": "{{new string('e', 64)}}"}""" },
        { """{"type": "a", "timestamp": "2026-01-01T00:00:00.123456789+05:30"}""" },
        { """{"type": "a", "timestamp": "1999-12-31t23:59:59z"}""" },
        { """{"type": "a", "duration_ms": 0}""" },
        { """{"type": "a", "duration_ms": 1.5e3}""" },
        { """{"type": "a", "properties": {"nested": {"a": [1, 2, {"b": null}]}, "emoji": "✓😀"}}""" },
        { """{"type": "tab\tis a control"}""".Replace("\\t", "", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(ValidEdgeEvents))]
    public async Task An_event_at_the_edge_of_the_rules_is_stored(string body)
    {
        using var client = Cluster.Gateways[0].CreateClient(_key);
        using var response = await client.PostAsync(new Uri("v1/events", UriKind.Relative), Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var created = JsonDocument.Parse(text);
        var id = created.RootElement.GetProperty("id").GetGuid();
        Assert.Equal(1, await new SqlTruth(Cluster.Database).CountAsync(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = @id", ("t", _tenant), ("id", id)));
    }

    [Fact]
    public async Task A_timestamp_with_an_offset_is_stored_as_the_same_instant_to_the_microsecond()
    {
        using var client = Cluster.Gateways[0].CreateClient(_key);
        using var response = await client.PostAsync(new Uri("v1/events", UriKind.Relative),
            Json("""{"type": "a", "timestamp": "2026-03-01T10:00:00.1234567-08:00"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        Assert.Equal(1, await new SqlTruth(Cluster.Database).CountAsync(
            "SELECT count(*) FROM events WHERE tenant_id = @t AND event_id = @id AND occurred_at = '2026-03-01T18:00:00.123456Z'",
            ("t", _tenant), ("id", id)));
    }

    public static TheoryData<string, string?, string?, byte[], HttpStatusCode> RefusedBodies => new()
    {
        { "v1/events", "application/json", null, "{\"type\": "u8.ToArray(), HttpStatusCode.BadRequest },
        { "v1/events", "application/json", null, "not json at all"u8.ToArray(), HttpStatusCode.BadRequest },
        { "v1/events", "application/json", null, [0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d], HttpStatusCode.BadRequest },
        { "v1/events", "application/json", null, Encoding.UTF8.GetBytes("{\"type\":\"a\",\"properties\":" + new string('[', 70) + new string(']', 70) + "}"), HttpStatusCode.BadRequest },
        { "v1/events", "application/json", "gzip", "this is not gzip"u8.ToArray(), HttpStatusCode.BadRequest },
        { "v1/events", "application/json", null, Encoding.UTF8.GetBytes("{\"type\":\"a\",\"properties\":{\"x\":\"" + new string('x', 1024 * 1024) + "\"}}"), HttpStatusCode.RequestEntityTooLarge },
        { "v1/events", "application/json", "gzip", Gzip(new byte[16 * 1024 * 1024]), HttpStatusCode.RequestEntityTooLarge },
        { "v1/events", "text/plain", null, "{\"type\":\"a\"}"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "v1/events", null, null, "{\"type\":\"a\"}"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "v1/events", "application/json; charset=latin1", null, "{\"type\":\"a\"}"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "v1/events", "application/x-ndjson", null, "{\"type\":\"a\"}"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "v1/events", "application/json", "br", "{\"type\":\"a\"}"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
        { "v1/events", "application/json", "gzip, gzip", Gzip(Gzip("{\"type\":\"a\"}"u8.ToArray())), HttpStatusCode.UnsupportedMediaType },
        { "v1/events/batch", "application/json", null, Encoding.UTF8.GetBytes("{\"events\":[" + string.Join(",", Enumerable.Repeat("{\"type\":\"a\"}", 1001)) + "]}"), HttpStatusCode.RequestEntityTooLarge },
        { "v1/events/batch", "application/x-ndjson", null, Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Repeat("{\"type\":\"a\"}", 1001))), HttpStatusCode.RequestEntityTooLarge },
        { "v1/events/batch", "application/x-ndjson", "gzip", Gzip(new byte[8 * 1024 * 1024]), HttpStatusCode.RequestEntityTooLarge },
        { "v1/events/batch", "application/json", null, "{\"events\": []}"u8.ToArray(), HttpStatusCode.UnprocessableEntity },
        { "v1/events/batch", "application/json", null, "{\"events\": {}}"u8.ToArray(), HttpStatusCode.UnprocessableEntity },
        { "v1/events/batch", "application/json", null, "{\"events\": [{\"type\":\"a\"}], \"extra\": 1}"u8.ToArray(), HttpStatusCode.UnprocessableEntity },
        { "v1/events/batch", "application/json", null, "[{\"type\":\"a\"}]"u8.ToArray(), HttpStatusCode.UnprocessableEntity },
        { "v1/events/batch", "application/json", null, "{\"events\":"u8.ToArray(), HttpStatusCode.BadRequest },
        { "v1/events/batch", "application/x-ndjson", null, "\n\n  \n"u8.ToArray(), HttpStatusCode.UnprocessableEntity },
        { "v1/events/batch", "text/csv", null, "type\na"u8.ToArray(), HttpStatusCode.UnsupportedMediaType },
    };

    [Theory]
    [MemberData(nameof(RefusedBodies))]
    public async Task A_body_that_cannot_be_taken_is_refused_with_its_status_as_problem_details(string path, string? contentType, string? encoding, byte[] body, HttpStatusCode expected)
    {
        using var client = Cluster.Gateways[0].CreateClient(_key);
        using var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        foreach (var part in encoding?.Split(", ") ?? []) content.Headers.ContentEncoding.Add(part);
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").EnumerateObject().Any(), "every refusal names what it is about");
        Assert.Equal(0, await new SqlTruth(Cluster.Database).CountAsync("SELECT count(*) FROM events WHERE tenant_id = @t", ("t", _tenant)));
    }

    [Fact]
    public async Task A_body_too_large_is_answered_413_every_time_rather_than_cut_off()
    {
        // Twice the limit, sent whole (no Expect: 100-continue, as the replaced services' clients do):
        // the client is still sending when the server has its answer.
        using var client = Cluster.Gateways[0].CreateClient(_key);
        var body = Encoding.UTF8.GetBytes("{\"type\":\"a\",\"properties\":{\"x\":\"" + new string('x', 2 * 1024 * 1024) + "\"}}");
        foreach (var path in Enumerable.Repeat(new[] { "v1/events", "v1/events/batch", "collect" }, 10).SelectMany(p => p))
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_gzip_body_within_the_limit_after_decompression_is_taken()
    {
        using var client = Cluster.Gateways[0].CreateClient(_key);
        var events = string.Join("\n", Enumerable.Range(0, 500).Select(i => $$$"""{"type": "gz", "properties": {"i": {{{i}}}, "pad": "{{{new string('z', 1000)}}}"}}"""));
        using var content = new ByteArrayContent(Gzip(Encoding.UTF8.GetBytes(events)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await client.PostAsync(new Uri("v1/events/batch", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal(500, JsonDocument.Parse(text).RootElement.GetProperty("accepted").GetInt32());
    }

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }
}
